import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/db/statement-cache.ts';

let sqlite: SQLite.Database;
beforeEach(() => {
  sqlite = new SQLite(':memory:');
  sqlite.exec('create table t (n integer); insert into t values (1), (2), (3)');
});
afterEach(() => {
  if (sqlite.open) sqlite.close();
});

describe('withStatementCache', () => {
  it('prepares a SQL text once and runs its statement again with other parameters', () => {
    const database = withStatementCache(sqlite);
    const statement = database.prepare('select n from t where n = ?');
    expect(database.prepare('select n from t where n = ?')).toBe(statement);
    expect(statement.all([1])).toEqual([{ n: 1 }]);
    expect(statement.all([3])).toEqual([{ n: 3 }]);
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const database = withStatementCache(sqlite, 2);
    const one = database.prepare('select 1');
    const two = database.prepare('select 2');
    expect(database.prepare('select 1')).toBe(one); // now `select 2` is the least recently used
    database.prepare('select 3');
    expect(database.prepare('select 1')).toBe(one);
    expect(database.prepare('select 2')).not.toBe(two);
  });

  it('gives a fresh statement while the cached one is still being iterated', () => {
    const database = withStatementCache(sqlite);
    const streaming = database.prepare('select n from t order by n');
    const rows = streaming.iterate([]);
    rows.next();
    const meanwhile = database.prepare('select n from t order by n');
    expect(meanwhile).not.toBe(streaming);
    expect(meanwhile.all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('closes the database', () => {
    withStatementCache(sqlite).close();
    expect(sqlite.open).toBe(false);
  });
});
