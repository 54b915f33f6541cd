import Type, { type Static } from 'typebox';
import type { JobRow } from '../queue/job-store.ts';

/** A job as the admin API shows it: payload parsed, times as ISO strings. Pure. */

const IsoTime = Type.String({ format: 'date-time' });
const NullableTime = Type.Union([IsoTime, Type.Null()]);

export const JobStateSchema = Type.Enum(['pending', 'running', 'done', 'dead']);

export const JobSchema = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  state: JobStateSchema,
  idempotencyKey: Type.String(),
  payload: Type.Unknown(),
  priority: Type.Integer(),
  attempts: Type.Integer({ minimum: 0 }),
  maxAttempts: Type.Integer({ minimum: 1 }),
  runAt: IsoTime,
  lockedUntil: NullableTime,
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  finishedAt: NullableTime,
});

export type JobView = Static<typeof JobSchema>;

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function jobView(row: JobRow): JobView {
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    idempotencyKey: row.idempotency_key,
    payload: parsePayload(row.payload),
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: iso(row.run_at),
    lockedUntil: isoOrNull(row.locked_until),
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: isoOrNull(row.finished_at),
  };
}

/** Payloads are written as JSON by `enqueue`; a row edited by hand still shows, as text. */
function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return payload;
  }
}
