import type { Static, TSchema } from 'typebox';

/**
 * A kind of job, declared by the feature that owns it: its payload schema (checked at enqueue, so
 * a bad payload fails the transaction that asked for it, not a worker hours later), its priority
 * (higher runs first: a button answer must not queue behind photo uploads) and its attempts.
 */
export interface JobKind<S extends TSchema = TSchema> {
  readonly type: string;
  readonly schema: S;
  readonly priority: number;
  readonly maxAttempts: number;
}

export type JobSpec<S extends TSchema = TSchema> = Omit<JobKind<S>, 'type'>;

/** A feature's job kinds, by type name. */
export type JobKinds = Readonly<Record<string, JobKind>>;

export type PayloadOf<K extends JobKind> = Static<K['schema']>;

/** Stamps each spec with its type name, so a kind can be passed around alone. */
export function defineJobs<const T extends Record<string, JobSpec>>(
  specs: T,
): { readonly [N in keyof T & string]: JobKind<T[N]['schema']> & { readonly type: N } } {
  const kinds: Record<string, JobKind> = {};
  for (const [type, spec] of Object.entries(specs)) kinds[type] = { type, ...spec };
  return kinds as { readonly [N in keyof T & string]: JobKind<T[N]['schema']> & { readonly type: N } };
}
