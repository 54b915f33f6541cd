/**
 * The request body both servers receive: a private-chat `/start` Update, shaped as the Bot API
 * sends it (field names from the `Update` and `Message` reference). Ids are fake.
 */

/**
 * Technicians in the pool: the service works on many conversations, as in the field, and the
 * requests for one technician are a thousand apart, so two of them are never in flight together
 * (50 connections by default). Telegram, too, sends one update per chat at a time; two at once
 * would race on the conversation's version, and on PostgreSQL the loser is answered 503 so that
 * Telegram sends it again (src/dispatch/conversation-store.ts), which the bench counts as an error.
 */
const TECHNICIAN_POOL = 1_000;
const FIRST_TECHNICIAN_ID = 700_000_000;
const DATE = 1774449000; // 2026-03-25T14:30:00Z

/** The JSON text of Update `updateId`; the technician is picked from the pool by the id. */
export function startUpdateBody(updateId: number): string {
  const userId = FIRST_TECHNICIAN_ID + (updateId % TECHNICIAN_POOL);
  return JSON.stringify({
    update_id: updateId,
    message: {
      message_id: updateId,
      date: DATE,
      chat: { id: userId, type: 'private', first_name: 'Jean' },
      from: { id: userId, is_bot: false, first_name: 'Jean', last_name: 'Bench', language_code: 'fr' },
      text: '/start',
      entities: [{ offset: 0, length: 6, type: 'bot_command' }],
    },
  });
}

/** Hands out update ids that no other request of the run has used (the service drops repeats). */
export function createUpdateIds(first = 1): () => number {
  let next = first;
  return () => next++;
}
