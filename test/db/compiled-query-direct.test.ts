import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, type KyselyPlugin, type LogEvent, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledOnce, runsDirectly } from '../../src/db/compiled-query.ts';
import type { Database } from '../../src/db/schema.ts';

/** A SQLite `Kysely` whose executor logs the SQL it runs, with or without the direct path. */
function openLogged(direct: boolean): { db: Kysely<Database>; executed: string[] } {
  const sqlite = new SQLite(':memory:');
  sqlite.exec(
    'create table seen (slug text not null, update_id integer not null, primary key (slug, update_id))',
  );
  const executed: string[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event: LogEvent) => void executed.push(event.query.sql),
  });
  if (direct) runsDirectly(db, sqlite);
  return { db, executed };
}

// A table of this test's own: the schema's types do not know it.
type Loose = Kysely<Record<string, Record<string, string | number>>>;

const insertSeen = compiledOnce((d, args: { slug: string; updateId: number }) =>
  (d as unknown as Loose)
    .insertInto('seen')
    .values({ slug: args.slug, update_id: args.updateId })
    .onConflict((oc) => oc.doNothing()),
);
const insertReturning = compiledOnce((d, args: { slug: string; updateId: number }) =>
  (d as unknown as Loose)
    .insertInto('seen')
    .values({ slug: args.slug, update_id: args.updateId })
    .onConflict((oc) => oc.doNothing())
    .returning('update_id'),
);
const selectSeen = compiledOnce((d, args: { slug: string }) =>
  (d as unknown as Loose)
    .selectFrom('seen')
    .select(['update_id'])
    .where('slug', '=', args.slug)
    .orderBy('update_id'),
);

/** A plugin that changes nothing: its presence alone must send the query through the executor. */
const noOpPlugin: KyselyPlugin = {
  transformQuery: ({ node }) => node,
  transformResult: async ({ result }) => result,
};

let direct: ReturnType<typeof openLogged>;
let plain: ReturnType<typeof openLogged>;
beforeEach(() => {
  direct = openLogged(true);
  plain = openLogged(false);
});
afterEach(async () => {
  await direct.db.destroy();
  await plain.db.destroy();
});

describe('compiled queries run directly on SQLite (runsDirectly)', () => {
  it('answer in a transaction what Kysely’s executor answers', async () => {
    const call = fc.record({
      query: fc.constantFrom(insertSeen, insertReturning, selectSeen),
      slug: fc.constantFrom('a', 'b', "o'brien"),
      updateId: fc.integer({ min: 0, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 15 }), async (calls) => {
        for (const { db } of [direct, plain]) await db.deleteFrom('seen' as never).execute();
        const results = await Promise.all(
          [direct, plain].map(({ db }) =>
            db.transaction().execute(async (trx) => {
              const answers = [];
              for (const { query, slug, updateId } of calls)
                answers.push(await query(trx, { slug, updateId }));
              return answers;
            }),
          ),
        );
        expect(results[0]).toEqual(results[1]);
      }),
      { numRuns: 60 },
    );
  });

  it('skip the executor in a transaction, and roll back with it', async () => {
    direct.executed.length = 0;
    await expect(
      direct.db.transaction().execute(async (trx) => {
        await insertSeen(trx, { slug: 'a', updateId: 1 });
        throw new Error('abandoned');
      }),
    ).rejects.toThrow('abandoned');
    expect(direct.executed).toEqual(['begin', 'rollback']);
    expect((await selectSeen(direct.db, { slug: 'a' })).rows).toEqual([]);
  });

  it('go through the executor outside a transaction, which waits for the connection', async () => {
    direct.executed.length = 0;
    let inside: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (inside = resolve));
    let release: () => void = () => undefined;
    const transaction = direct.db.transaction().execute(async (trx) => {
      await insertSeen(trx, { slug: 'a', updateId: 1 });
      inside();
      await new Promise<void>((resolve) => (release = resolve));
      throw new Error('abandoned');
    });
    await open;
    // Run now, this insert would land in the open transaction and be rolled back with it.
    const outside = insertSeen(direct.db, { slug: 'b', updateId: 2 });
    release();
    await expect(transaction).rejects.toThrow('abandoned');
    expect(Number((await outside).numAffectedRows)).toBe(1);
    expect((await selectSeen(direct.db, { slug: 'b' })).rows).toEqual([{ update_id: 2 }]);
    expect(direct.executed.filter((sql) => sql.startsWith('insert'))).toHaveLength(1);
  });

  it('go through the executor when the Kysely has plugins, so that they see the result', async () => {
    direct.executed.length = 0;
    await direct.db
      .transaction()
      .execute((trx) => insertSeen(trx.withPlugin(noOpPlugin), { slug: 'a', updateId: 1 }));
    expect(direct.executed.filter((sql) => sql.startsWith('insert'))).toHaveLength(1);
  });
});
