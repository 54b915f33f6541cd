/**
 * A `Retry-After` header in seconds: delta-seconds, or an HTTP date measured against `now` (pass
 * the response's own `Date` when it has one, so that clock skew with the server cancels out).
 * Undefined when absent or unreadable.
 */
export function retryAfterSeconds(
  header: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  if (typeof header !== 'string') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/u.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
