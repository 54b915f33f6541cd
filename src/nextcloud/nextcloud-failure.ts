import { type FailureDecision, retryUnexpected } from '../queue/failure.ts';
import { NextcloudError, NextcloudTransportError } from './nextcloud-errors.ts';

/**
 * Nextcloud's retry policy, in one place (status codes: RFC 4918 and
 * https://docs.nextcloud.com/server/latest/developer_manual/client_apis/WebDAV/basic.html; throttling:
 * https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/bruteforce_configuration.html).
 *
 * - Transport failures (network, timeouts, a stored size that differs) → retry.
 * - 401 → fail, never a retry loop: every wrong password feeds Nextcloud's brute-force
 *   throttling, which then delays and finally refuses (429) every request from our address.
 * - 507 → fail: the quota stays full until someone frees space.
 * - 423 (locked), 408, 429, 5xx → retry; 429/503 wait for `Retry-After` when given, and a 429
 *   without it waits `THROTTLED_DELAY_MS` (throttling outlives the usual first backoff steps).
 * - 404/409 → retry. The archive already created the parent and tried once more, so the folder
 *   vanished in between (someone reorganising) or a file stands where a folder should: the first
 *   heals on the next attempt, the second ends dead, visibly, after the job's attempts.
 * - 400 → fail, unless Nextcloud's InvalidPath says `o:retry` true: a refused name or a body
 *   that does not match its Content-Length does not change by sending it again.
 * - 3xx → fail: NEXTCLOUD_URL points at a redirect (http → https, another host).
 * - Other 4xx (403 permission, 413 too large, 415 refused content…) → fail.
 */
export function nextcloudFailureDecision(error: unknown): FailureDecision {
  if (error instanceof NextcloudTransportError) return { action: 'retry', reason: error.message };
  if (error instanceof NextcloudError) return refusalDecision(error);
  return retryUnexpected(error, 'around a Nextcloud call');
}

/** How long a 429 without `Retry-After` waits: Nextcloud's throttle counts failures over 30 min. */
export const THROTTLED_DELAY_MS = 5 * 60_000;

function refusalDecision(error: NextcloudError): FailureDecision {
  const reason = error.message;
  const { status } = error;
  if (status === 401) {
    return {
      action: 'fail',
      reason: `the office must act: Nextcloud refused the app password (check NEXTCLOUD_USER and NEXTCLOUD_PASSWORD). ${reason}`,
    };
  }
  if (status === 507) {
    return { action: 'fail', reason: `the office must act: the Nextcloud storage quota is full. ${reason}` };
  }
  if (status === 429) {
    const delayMs = error.retryAfter === undefined ? THROTTLED_DELAY_MS : error.retryAfter * 1000;
    return { action: 'retry', reason, delayMs };
  }
  if (status >= 500 || status === 423 || status === 408 || status === 404 || status === 409) {
    return error.retryAfter === undefined
      ? { action: 'retry', reason }
      : { action: 'retry', reason, delayMs: error.retryAfter * 1000 };
  }
  if (status === 400 && error.serverRetry === true) return { action: 'retry', reason };
  if (status >= 300 && status < 400) {
    return {
      action: 'fail',
      reason: `NEXTCLOUD_URL redirects elsewhere: set it to the final address. ${reason}`,
    };
  }
  return { action: 'fail', reason };
}
