import { afterEach, describe, expect, it } from 'vitest';
import { ifClusterLockFree, withClusterLock } from '../../src/db/cluster-lock.ts';
import { type Db, openDatabase } from '../../src/db/database.ts';
import { freshDatabaseUrl, testDialect } from '../support/test-database.ts';

const opened: Db[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.destroy();
});

/** Two handles on one database: two replicas on PostgreSQL; SQLite is one process, one handle. */
async function twoReplicas(): Promise<[Db, Db]> {
  const url = await freshDatabaseUrl();
  const first = await openDatabase(url);
  const second = testDialect === 'postgres' ? await openDatabase(url) : first;
  opened.push(...new Set([first, second]));
  return [first, second];
}

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('cluster locks', () => {
  it.runIf(testDialect === 'postgres')(
    'a replica skips work another runs under the same name, and runs it once that one is done',
    async () => {
      const [first, second] = await twoReplicas();
      const started = gate();
      const finish = gate();
      const running = ifClusterLockFree(first, 'housekeeping', async () => {
        started.open();
        await finish.opened;
        return 'first';
      });
      await started.opened;
      expect(await ifClusterLockFree(second, 'housekeeping', async () => 'second')).toBeUndefined();
      expect(await ifClusterLockFree(second, 'other work', async () => 'other')).toBe('other');
      finish.open();
      expect(await running).toBe('first');
      expect(await ifClusterLockFree(second, 'housekeeping', async () => 'second')).toBe('second');
    },
  );

  it.runIf(testDialect === 'postgres')(
    'holds no connection of the pool its work queries: a pool of one still runs locked work',
    async () => {
      const db = await openDatabase(await freshDatabaseUrl(), { poolSize: 1 });
      opened.push(db);
      const count = () =>
        db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .execute();
      expect(await withClusterLock(db, 'housekeeping', count)).toEqual([{ n: 0 }]);
      expect(await ifClusterLockFree(db, 'housekeeping', count)).toEqual([{ n: 0 }]);
    },
  );

  it('runs the work and returns what it returns; a failure frees the lock', async () => {
    const [first, second] = await twoReplicas();
    await expect(
      ifClusterLockFree(first, 'housekeeping', async () => {
        throw new Error('purge failed');
      }),
    ).rejects.toThrow('purge failed');
    expect(await ifClusterLockFree(second, 'housekeeping', async () => 42)).toBe(42);
    expect(await withClusterLock(second, 'housekeeping', async () => 43)).toBe(43);
  });
});
