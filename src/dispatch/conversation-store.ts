import type { Transaction } from 'kysely';
import { type ConversationState, INITIAL_STATE, upgradeState } from '../conversation/state.ts';
import { compiledOnce } from '../db/compiled-query.ts';
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
  const [row] = (await selectConversation(trx, key)).rows;
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
  const row = { ...key, state: JSON.stringify(state), readVersion, updatedAt: now.getTime() };
  const result = readVersion === 0 ? await insertConversation(trx, row) : await updateConversation(trx, row);
  if (Number(result.numAffectedRows ?? 0n) !== 1) throw new ConcurrentUpdateError();
}

// Every update runs these: each is compiled once (src/db/compiled-query.ts).

const selectConversation = compiledOnce((db, key: { slug: string; chatId: number; userId: number }) =>
  db
    .selectFrom('conversations')
    .select(['state', 'version'])
    .where('slug', '=', key.slug)
    .where('chat_id', '=', key.chatId)
    .where('user_id', '=', key.userId),
);

type ConversationRow = {
  readonly slug: string;
  readonly chatId: number;
  readonly userId: number;
  readonly state: string;
  readonly readVersion: number;
  readonly updatedAt: number;
};

/** The first save: the version read is 0, the one written 1. */
const insertConversation = compiledOnce((db, row: ConversationRow) =>
  db
    .insertInto('conversations')
    .values({
      slug: row.slug,
      chat_id: row.chatId,
      user_id: row.userId,
      state: row.state,
      version: 1,
      updated_at: row.updatedAt,
    })
    .onConflict((oc) => oc.doNothing()),
);

const updateConversation = compiledOnce((db, row: ConversationRow) =>
  db
    .updateTable('conversations')
    .set((eb) => ({
      state: row.state,
      version: eb('version', '+', 1),
      updated_at: row.updatedAt,
    }))
    .where('slug', '=', row.slug)
    .where('chat_id', '=', row.chatId)
    .where('user_id', '=', row.userId)
    .where('version', '=', row.readVersion),
);
