import type { Database as BetterSqlite, Statement } from 'better-sqlite3';
import {
  type Compilable,
  type CompiledQuery,
  type DialectAdapter,
  type Kysely,
  type QueryResult,
  createQueryId,
} from 'kysely';
import type { Database } from './schema.ts';

/** Stands for an argument while the query is compiled; replaced by its value at each run. */
class Slot {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

interface Compiled {
  readonly query: CompiledQuery;
  /** Where each argument goes in the parameters. */
  readonly slots: readonly { readonly index: number; readonly name: string }[];
  /** Prepared once on the SQLite connection the query is run on directly (see `runsDirectly`). */
  readonly statement: Statement | undefined;
}

/** Arguments of a compiled query: the final values of its parameters, never undefined. */
type Arguments = Record<string, string | number>;

/** SQLite connections that compiled queries run on directly, by the adapter of their `Kysely`. */
const directConnections = new WeakMap<DialectAdapter, BetterSqlite>();

/**
 * Compiled queries in `db`'s transactions skip Kysely's executor and run on `sqlite`, the
 * connection under `db`'s SqliteDialect, as that dialect's driver would run them
 * (node_modules/kysely/dist/dialect/sqlite/sqlite-driver.js: `all` for a statement that returns
 * rows, else `run`). For its opener only: `sqlite` must be the one connection `db` runs on.
 *
 * The executor's chain of promises per query (connection provider, driver, result plugins) cost
 * more than SQLite's own work for the statements every update runs: 10–15 µs of CPU per update
 * (bench/README.md). Only in a transaction, during its callback: the transaction then holds the
 * connection (Kysely's RuntimeDriver locks SQLite's one connection for it), and better-sqlite3
 * runs the statement there and then, as the executor would a few promises later. On `db` itself a
 * query goes through the executor, which waits for the lock.
 */
export function runsDirectly(db: Kysely<Database>, sqlite: BetterSqlite): void {
  directConnections.set(db.getExecutor().adapter, sqlite);
}

/**
 * A query built and compiled by Kysely once per dialect, then run with new values: for the
 * statements every update runs, where building the query tree and compiling it to SQL again at
 * each call was a quarter of the service's time. Building and compiling are steps of their own
 * in Kysely (https://kysely.dev/docs/execution): a compiled query is run by `executeQuery`.
 *
 * `build` receives stand-ins for its arguments and must pass each to Kysely as a value, untouched
 * (no arithmetic, no `JSON.stringify`): the caller passes the final values. Kysely sends every
 * value as a parameter, so the SQL text is the same whatever the values.
 *
 * On a `Kysely` with plugins the query goes through the executor, so that they see its result; it
 * was compiled without them in mind, so run it on the service's own `Db` or its transactions.
 */
export function compiledOnce<A extends Arguments, R>(
  build: (db: Kysely<Database>, args: A) => Compilable<R>,
): (db: Kysely<Database>, args: A) => Promise<QueryResult<R>> {
  const byDialect = new WeakMap<DialectAdapter, Compiled>();
  return async (db, args) => {
    const executor = db.getExecutor();
    let compiled = byDialect.get(executor.adapter);
    if (!compiled) {
      compiled = compile(db, build);
      byDialect.set(executor.adapter, compiled);
    }
    const parameters = withArguments(compiled, args);
    if (compiled.statement && db.isTransaction && executor.plugins.length === 0)
      return runStatement<R>(compiled.statement, parameters);
    return await db.executeQuery<R>({ ...compiled.query, parameters, queryId: createQueryId() });
  };
}

/** `build` takes its arguments' stand-ins, whatever their names (a proxy answers each). */
function compile(db: Kysely<Database>, build: (db: Kysely<Database>, args: never) => Compilable): Compiled {
  const standIns = new Proxy(
    {},
    {
      get: (_target, name) => (typeof name === 'string' ? new Slot(name) : undefined),
    },
  );
  const query = build(db, standIns as never).compile();
  const slots = query.parameters.flatMap((parameter, index) =>
    parameter instanceof Slot ? [{ index, name: parameter.name }] : [],
  );
  const sqlite = directConnections.get(db.getExecutor().adapter);
  return { query, slots, statement: sqlite?.prepare(query.sql) };
}

function withArguments(compiled: Compiled, args: Arguments): unknown[] {
  const parameters = [...compiled.query.parameters];
  for (const { index, name } of compiled.slots) {
    const value = args[name];
    if (value === undefined) throw new Error(`compiled query: no value for ${name}`);
    parameters[index] = value;
  }
  return parameters;
}

/** What Kysely's SQLite driver returns for the statement (see `runsDirectly`). */
function runStatement<R>(statement: Statement, parameters: unknown[]): QueryResult<R> {
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { insertId: BigInt(lastInsertRowid), numAffectedRows: BigInt(changes), rows: [] };
}
