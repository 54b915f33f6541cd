import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledOnce } from '../../src/db/compiled-query.ts';
import type { Db } from '../../src/db/database.ts';
import { memoryDatabase } from '../support/database.ts';

let db: Db;
beforeAll(async () => {
  db = await memoryDatabase();
});
afterAll(() => db.destroy());

const insertSeen = compiledOnce((d, args: { slug: string; updateId: number; at: number }) =>
  d
    .insertInto('processed_updates')
    .values({ slug: args.slug, update_id: args.updateId, received_at: args.at })
    .onConflict((oc) => oc.doNothing()),
);

// One argument in two places, and a constant between them.
const selectSeen = compiledOnce((d, args: { slug: string; at: number }) =>
  d
    .selectFrom('processed_updates')
    .select(['update_id', 'received_at'])
    .where('slug', '=', args.slug)
    .where('received_at', '>=', args.at)
    .where('update_id', '>', -1)
    .where('received_at', '<=', args.at)
    .orderBy('update_id'),
);

const builtSelect = (slug: string, at: number) =>
  db
    .selectFrom('processed_updates')
    .select(['update_id', 'received_at'])
    .where('slug', '=', slug)
    .where('received_at', '=', at)
    .orderBy('update_id')
    .execute();

describe('compiledOnce', () => {
  it('runs with the values of each call, as the query built for them would', async () => {
    const rows = fc.array(
      fc.record({
        slug: fc.constantFrom('a', 'b', "o'brien", 'é😀'),
        updateId: fc.integer({ min: 0, max: 50 }),
        at: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 20 },
    );
    await fc.assert(
      fc.asyncProperty(
        rows,
        fc.constantFrom('a', 'b', "o'brien", 'é😀'),
        fc.nat(3),
        async (inserts, slug, at) => {
          await db.deleteFrom('processed_updates').execute();
          const seen = new Set<string>();
          for (const row of inserts) {
            const result = await insertSeen(db, row);
            const key = `${row.slug}/${row.updateId}`;
            // Insert-or-ignore: one row the first time, none after.
            expect(Number(result.numAffectedRows ?? 0n)).toBe(seen.has(key) ? 0 : 1);
            seen.add(key);
          }
          expect((await selectSeen(db, { slug, at })).rows).toEqual(await builtSelect(slug, at));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('runs inside a transaction, which rolls it back', async () => {
    await db.deleteFrom('processed_updates').execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await insertSeen(trx, { slug: 'a', updateId: 1, at: 1 });
        throw new Error('abandoned');
      }),
    ).rejects.toThrow('abandoned');
    expect((await selectSeen(db, { slug: 'a', at: 1 })).rows).toEqual([]);
  });

  it('refuses a call that lacks a value, before running anything', async () => {
    const partial = { slug: 'a', updateId: 1 } as unknown as { slug: string; updateId: number; at: number };
    await expect(insertSeen(db, partial)).rejects.toThrow('no value for at');
  });
});
