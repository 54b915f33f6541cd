import { describeCause, errorCode, redactedError } from '../http/redact.ts';

/**
 * The two ways a Deck call fails, as for every remote (src/queue/failure.ts): Deck answered and refused, or
 * no usable answer came back. Neither keeps the app password: everything taken from a response or
 * from a raw error goes through `redactSecrets` first, and messages name the call by its method
 * and path below the Deck base (ids only), never by a full URL.
 */

/** Deck (or a proxy in front of Nextcloud) answered with an error status. */
export class DeckApiError extends Error {
  /** `createCard`, `ensureStack`…: the client operation that made the call. */
  readonly operation: string;
  /** The HTTP status (for OCS v2, the same as `ocs.meta.statuscode`). */
  readonly status: number;
  /** Deck's `message` (`Permission denied`, `Operation not allowed. This board is archived.`…). */
  readonly description: string;
  /** Seconds to wait, from a `Retry-After` header (Nextcloud's brute-force throttling answers 429). */
  readonly retryAfter: number | undefined;

  constructor(fields: {
    operation: string;
    request: string;
    status: number;
    description: string;
    retryAfter?: number | undefined;
  }) {
    super(`Deck ${fields.operation} (${fields.request}) failed: ${fields.status} ${fields.description}`);
    this.name = 'DeckApiError';
    this.operation = fields.operation;
    this.status = fields.status;
    this.description = fields.description;
    this.retryAfter = fields.retryAfter;
  }
}

/** The call got no usable answer: network error, timeout, a 2xx body that is not Deck's JSON. */
export class DeckTransportError extends Error {
  readonly operation: string;
  /** The cause's code (`ECONNREFUSED`, `ETIMEDOUT`…) when it had one. */
  readonly code: string | undefined;
  declare readonly cause: Error;

  /** `cause` must already be redacted: use `deckTransportError` to build one from a raw error. */
  constructor(operation: string, request: string, cause: Error) {
    super(`Deck ${operation} (${request}) got no usable answer: ${describeCause(cause)}`, { cause });
    this.name = 'DeckTransportError';
    this.operation = operation;
    this.code = errorCode(cause);
  }
}

/** Words of DeckManageRightMissing's message, kept in a dead job's error: how a report finds it there. */
export const MANAGE_RIGHT_MISSING = 'without the "manage" right';

/**
 * The board is shared with the service's user, but without the "manage" right that creating a
 * stack needs: only the office can help (create the stack by hand, or grant "manage").
 */
export class DeckManageRightMissing extends DeckApiError {
  readonly boardTitle: string;
  readonly stackTitle: string;
  constructor(cause: DeckApiError, boardTitle: string, stackTitle: string) {
    super({
      operation: cause.operation,
      request: 'POST /boards/…/stacks',
      status: cause.status,
      description: `the board « ${boardTitle} » is shared with the service ${MANAGE_RIGHT_MISSING}, so it cannot create the stack « ${stackTitle} »: create that stack by hand, or grant the service "manage" on the board`,
    });
    this.name = 'DeckManageRightMissing';
    this.boardTitle = boardTitle;
    this.stackTitle = stackTitle;
  }
}

/** Deck's answer to an id that does not exist (or is not ours): the cached ids are stale. */
export function isStaleIdError(error: unknown): boolean {
  return error instanceof DeckApiError && error.status === 403 && !(error instanceof DeckManageRightMissing);
}

/** Deck's bare StatusException for a write under an archived board or to an archived card (500). */
export function isArchivedError(error: unknown): boolean {
  return error instanceof DeckApiError && error.status === 500 && /\bis archived\b/iu.test(error.description);
}

/** A DeckTransportError whose cause chain keeps names, codes and messages, with no secret in them. */
export function deckTransportError(
  operation: string,
  request: string,
  raw: unknown,
  secrets: readonly string[],
): DeckTransportError {
  return new DeckTransportError(operation, request, redactedError(raw, secrets));
}
