import type { Transaction } from 'kysely';
import { type ConversationState, INITIAL_STATE, upgradeState } from '../conversation/state.ts';
import type { Database } from '../db/schema.ts';

export interface ConversationKey {
  readonly slug: string;
  readonly chatId: number;
  readonly userId: number;
}

export interface StoredConversation {
  readonly state: ConversationState;
  /** 0 when the conversation has never been saved. */
  readonly version: number;
}

/** Another writer saved this conversation since we read it: the update must be retried. */
export class ConcurrentUpdateError extends Error {
  constructor() {
    super('conversation changed concurrently');
    this.name = 'ConcurrentUpdateError';
  }
}

export async function loadConversation(
  trx: Transaction<Database>,
  key: ConversationKey,
): Promise<StoredConversation> {
  const row = await trx
    .selectFrom('conversations')
    .select(['state', 'version'])
    .where('slug', '=', key.slug)
    .where('chat_id', '=', key.chatId)
    .where('user_id', '=', key.userId)
    .executeTakeFirst();
  if (!row) return { state: INITIAL_STATE, version: 0 };
  return { state: upgradeState(JSON.parse(row.state) as Partial<ConversationState>), version: row.version };
}

/** Saves the new state if nobody else did since `readVersion` (optimistic lock). */
export async function saveConversation(
  trx: Transaction<Database>,
  key: ConversationKey,
  state: ConversationState,
  readVersion: number,
  now: Date,
): Promise<void> {
  const values = { state: JSON.stringify(state), version: readVersion + 1, updated_at: now.getTime() };
  const result =
    readVersion === 0
      ? await trx
          .insertInto('conversations')
          .values({ slug: key.slug, chat_id: key.chatId, user_id: key.userId, ...values })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst()
      : await trx
          .updateTable('conversations')
          .set(values)
          .where('slug', '=', key.slug)
          .where('chat_id', '=', key.chatId)
          .where('user_id', '=', key.userId)
          .where('version', '=', readVersion)
          .executeTakeFirst();
  const changed =
    'numInsertedOrUpdatedRows' in result ? result.numInsertedOrUpdatedRows : result.numUpdatedRows;
  if (Number(changed ?? 0n) !== 1) throw new ConcurrentUpdateError();
}
