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
}

/** Arguments of a compiled query: the final values of its parameters, never undefined. */
type Arguments = Record<string, string | number>;

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
 * Compiled without plugins in mind: run it on the service's own `Db` or its transactions.
 */
export function compiledOnce<A extends Arguments, R>(
  build: (db: Kysely<Database>, args: A) => Compilable<R>,
): (db: Kysely<Database>, args: A) => Promise<QueryResult<R>> {
  const byDialect = new WeakMap<DialectAdapter, Compiled>();
  return async (db, args) => {
    const adapter = db.getExecutor().adapter;
    let compiled = byDialect.get(adapter);
    if (!compiled) {
      compiled = compile(db, build);
      byDialect.set(adapter, compiled);
    }
    const parameters = [...compiled.query.parameters];
    for (const { index, name } of compiled.slots) {
      const value = args[name];
      if (value === undefined) throw new Error(`compiled query: no value for ${name}`);
      parameters[index] = value;
    }
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
  return { query, slots };
}
