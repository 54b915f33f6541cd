import { type FailureDecision, retryUnexpected } from '../queue/failure.ts';
import { DeckApiError, DeckManageRightMissing, DeckTransportError, isArchivedError } from './deck-errors.ts';

/** Nextcloud's brute-force throttling answers 429 after delays up to 25 s: back off for long. */
export const THROTTLED_DELAY_MS = 5 * 60_000;

/**
 * Deck's retry policy, in one place. Deck answers 403 for an id that does not exist and 500 for a
 * write under an archived board (https://github.com/nextcloud/deck/blob/main/docs/API.md, "Global
 * responses"); a wrong password feeds Nextcloud's brute-force throttling
 * (https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/bruteforce_configuration.html).
 *
 * The errors that reach here have already had their one in-client second chance:
 * `upsertReportCard` drops the cached ids and resolves them again after a 403 or an
 * archived-board 500, so those answers now describe the account or the board, not a stale cache.
 */
export function deckFailureDecision(error: unknown): FailureDecision {
  if (error instanceof DeckTransportError) return { action: 'retry', reason: error.message };
  if (error instanceof DeckApiError) return apiErrorDecision(error);
  return retryUnexpected(error, 'around a Deck call');
}

function apiErrorDecision(error: DeckApiError): FailureDecision {
  const reason = error.message;
  // Retrying a wrong app password feeds brute-force throttling, which then blocks every
  // Nextcloud call from our address (WebDAV too): stop and let the office fix the password.
  if (error.status === 401) {
    return { action: 'fail', reason: `Nextcloud refused the app password (office must act): ${reason}` };
  }
  if (error.status === 429) {
    const delayMs = error.retryAfter === undefined ? THROTTLED_DELAY_MS : error.retryAfter * 1000;
    return { action: 'retry', reason: `Nextcloud throttles us: ${reason}`, delayMs };
  }
  if (error instanceof DeckManageRightMissing)
    return { action: 'fail', reason: `office must act: ${reason}` };
  if (error.status === 403) {
    return {
      action: 'fail',
      reason: `Deck denies the account access to the board even with fresh ids (office must share it or allow board creation): ${reason}`,
    };
  }
  if (isArchivedError(error)) {
    return { action: 'fail', reason: `Deck refuses to write to an archived board or card: ${reason}` };
  }
  // Deck's other bare StatusExceptions are answers about the request, not outages.
  if (error.status === 500 && /does not exist/iu.test(error.description)) return { action: 'fail', reason };
  if (error.status >= 500) return { action: 'retry', reason };
  // 400 (title too long, bad date), 404 (card gone, Deck not installed), 409, 412 (our headers):
  // the same request would get the same answer.
  return { action: 'fail', reason };
}
