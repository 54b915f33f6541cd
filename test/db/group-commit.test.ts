import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { GroupCommit } from '../../src/db/group-commit.ts';
import { withStatementCache } from '../../src/db/statement-cache.ts';

// A file database in WAL mode, as in production, with a second connection that sees only what
// was committed; the first connection's SQL is logged to count the commits.
let dir: string;
let db: Db;
let observer: SQLite.Database;
let commits: number;
let savepoints: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  const sqlite = new SQLite(join(dir, 'test.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  commits = 0;
  savepoints = 0;
  db = new Kysely({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    log: (event) => {
      if (event.query.sql === 'commit') commits += 1;
      if (event.query.sql.startsWith('savepoint')) savepoints += 1;
    },
  }) as unknown as Db;
  await sql`create table parent (id integer primary key)`.execute(db);
  await sql`create table item (name text primary key, parent integer references parent (id) deferrable initially deferred)`.execute(
    db,
  );
  observer = new SQLite(join(dir, 'test.db'), { readonly: true });
});

afterEach(async () => {
  observer.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const insert =
  (name: string, parent: number | null = null) =>
  async (trx: Parameters<Parameters<GroupCommit['run']>[0]>[0]) => {
    await sql`insert into item (name, parent) values (${name}, ${parent})`.execute(trx);
    return name;
  };
const committedNames = () =>
  (observer.prepare('select name from item order by name').all() as { name: string }[]).map(
    (row) => row.name,
  );

describe('GroupCommit', () => {
  it('records the units that arrive together in one commit, and answers each after it', async () => {
    const group = new GroupCommit(db);
    const seenWhenFirstAnswered: string[][] = [];
    const first = group.run(insert('a')).then((value) => {
      seenWhenFirstAnswered.push(committedNames());
      return value;
    });
    const results = await Promise.all([first, group.run(insert('b')), group.run(insert('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(seenWhenFirstAnswered).toEqual([['a', 'b', 'c']]);
    expect(commits).toBe(1);
    // No unit failed: none needed a savepoint.
    expect(savepoints).toBe(0);
  });

  it('rolls back a unit that throws, alone: the others are committed', async () => {
    const group = new GroupCommit(db);
    const failing = group.run(async (trx) => {
      await insert('b')(trx);
      throw new Error('this update cannot be handled');
    });
    const results = await Promise.allSettled([group.run(insert('a')), failing, group.run(insert('c'))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedNames()).toEqual(['a', 'c']);
    expect(commits).toBe(1);
    // The batch ran once without savepoints, was rolled back, and ran again with one per unit.
    expect(savepoints).toBe(3);
  });

  it('fails every unit of a batch whose commit fails, and records none of them', async () => {
    const group = new GroupCommit(db);
    // The deferred foreign key is checked at commit: the commit itself fails.
    const results = await Promise.allSettled([group.run(insert('a')), group.run(insert('b', 42))]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(committedNames()).toEqual([]);
    expect(await group.run(insert('c'))).toBe('c');
    expect(committedNames()).toEqual(['c']);
  });

  it('commits at most maxBatch units at once; the rest go in the next commits', async () => {
    const group = new GroupCommit(db, 2);
    const names = ['a', 'b', 'c', 'd', 'e'];
    expect(await Promise.all(names.map((name) => group.run(insert(name))))).toEqual(names);
    expect(commits).toBe(3);
    expect(committedNames()).toEqual(names);
  });

  it('whatever units fail, each caller gets its own outcome and only the successful units are recorded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ fails: fc.boolean(), waves: fc.nat(2) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (units, maxBatch) => {
          await sql`delete from item`.execute(db);
          const group = new GroupCommit(db, maxBatch);
          const outcomes = await Promise.allSettled(
            units.map(async (unit, index) => {
              // Some units arrive later, while earlier batches are being committed.
              for (let wave = 0; wave < unit.waves; wave++)
                await new Promise((resolve) => setImmediate(resolve));
              return group.run(async (trx) => {
                await insert(`u${index}`)(trx);
                if (unit.fails) throw new Error(`unit ${index} fails`);
                return index;
              });
            }),
          );
          const expected = units.flatMap((unit, index) => (unit.fails ? [] : [`u${index}`]));
          expect(outcomes.map((outcome) => outcome.status)).toEqual(
            units.map((unit) => (unit.fails ? 'rejected' : 'fulfilled')),
          );
          expect(committedNames()).toEqual([...expected].sort());
        },
      ),
      { numRuns: 50 },
    );
  });
});
