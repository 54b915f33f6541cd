import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INITIAL_STATE } from '../../src/conversation/state.ts';
import type { Db } from '../../src/db/database.ts';
import {
  ConcurrentUpdateError,
  loadConversation,
  saveConversation,
} from '../../src/dispatch/conversation-store.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';

let db: Db;
const clock = new TestClock();
beforeEach(async () => {
  db = await memoryDatabase();
});
afterEach(() => db.destroy());

const key = { slug: 'etm', chatId: 42, userId: 42 };
const load = () => db.transaction().execute((trx) => loadConversation(trx, key));
const save = (state: typeof INITIAL_STATE, readVersion: number) =>
  db.transaction().execute((trx) => saveConversation(trx, key, state, readVersion, clock.now()));

describe('the conversation store', () => {
  it('starts a conversation never saved from the initial state, version 0', async () => {
    expect(await load()).toEqual({ state: INITIAL_STATE, version: 0 });
  });

  it('saves a state and counts the versions', async () => {
    const first = { ...INITIAL_STATE, albumsWithRefusal: ['album-1'] };
    await save(first, 0);
    expect(await load()).toEqual({ state: first, version: 1 });
    const second = { ...INITIAL_STATE, albumsWithRefusal: ['album-1', 'album-2'] };
    await save(second, 1);
    expect(await load()).toEqual({ state: second, version: 2 });
  });

  it('refuses a save based on a version another writer has replaced', async () => {
    await save(INITIAL_STATE, 0);
    await expect(save(INITIAL_STATE, 0)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await save(INITIAL_STATE, 1);
    await expect(save(INITIAL_STATE, 1)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await load()).version).toBe(2);
  });
});
