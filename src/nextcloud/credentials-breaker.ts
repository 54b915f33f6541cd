import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { PostponeError } from '../queue/postpone.ts';
import { DeckApiError } from './deck-errors.ts';
import { NextcloudError } from './nextcloud-errors.ts';

/**
 * Nextcloud refused the app password: stop calling it until the office fixes it.
 *
 * Every refused password feeds Nextcloud's brute-force protection, which then slows down and
 * finally refuses every request from our address, the office's own logins included
 * (https://docs.nextcloud.com/server/latest/admin_manual/configuration_server/bruteforce_configuration.html).
 * So the first refusal opens a breaker stored in the database (shared by every worker and kept
 * across restarts): from then on each Nextcloud call (archive, Deck, the assistant's notes) is
 * postponed without reaching Nextcloud. It closes when an admin says so, or by itself in a
 * process configured with other credentials (the office replaced the app password).
 */
export interface NextcloudBreakerTable {
  /** Always 1: one breaker for the one Nextcloud account. */
  id: number;
  /** Of the credentials Nextcloud refused: not the password, a hash of it. */
  fingerprint: string;
  reason: string;
  opened_at: number;
}

/** How often a postponed Nextcloud job looks again (a database read, no Nextcloud call). */
export const BREAKER_RECHECK_MS = 60_000;

export interface CredentialsBreakerOptions {
  readonly db: Db;
  readonly clock: () => Date;
  /** NEXTCLOUD_URL, user and app password: the breaker is open only for the ones refused. */
  readonly credentials: { readonly url: string; readonly user: string; readonly password: string };
  /** Runs in the transaction that opens the breaker, once per opening: the office's alert. */
  readonly onOpen: (trx: Transaction<Database>, now: Date) => Promise<void>;
}

export interface CredentialsBreaker {
  /** Runs a Nextcloud call, or postpones the job when the breaker is open; opens it on a refusal. */
  guard<T>(call: () => Promise<T>): Promise<T>;
  /** 'ok', or 'unauthorized' while the breaker is open for the configured credentials. */
  state(): Promise<'ok' | 'unauthorized'>;
  /** Closes the breaker (the office fixed the account); false when it was not open. */
  resume(): Promise<boolean>;
}

export function createCredentialsBreaker(options: CredentialsBreakerOptions): CredentialsBreaker {
  const { db, clock } = options;
  const fingerprint = credentialsFingerprint(options.credentials);
  const openRow = async () =>
    db
      .selectFrom('nextcloud_breaker')
      .selectAll()
      .where('id', '=', 1)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirst();

  async function open(error: unknown): Promise<void> {
    const now = clock();
    await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('nextcloud_breaker')
        .values({ id: 1, fingerprint, reason: reasonOf(error), opened_at: now.getTime() })
        // A row for other credentials is stale (they were replaced since): this refusal is new.
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({ fingerprint, reason: reasonOf(error), opened_at: now.getTime() })
            .where('nextcloud_breaker.fingerprint', '!=', fingerprint),
        )
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) await options.onOpen(trx, now);
    });
  }

  return {
    async guard(call) {
      const row = await openRow();
      if (row) throw postponement(row.reason);
      try {
        return await call();
      } catch (error) {
        if (!isCredentialRefusal(error)) throw error;
        await open(error);
        throw postponement(reasonOf(error));
      }
    },
    async state() {
      return (await openRow()) ? 'unauthorized' : 'ok';
    },
    async resume() {
      const deleted = await db.deleteFrom('nextcloud_breaker').where('id', '=', 1).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },
  };
}

/**
 * A refusal of the credentials themselves: 401, or a 403 whose message speaks of the password or
 * token (an app password wiped from the account). Deck's plain 403 "Permission denied" is about a
 * board or an id, not the password, and is not one.
 */
export function isCredentialRefusal(error: unknown): boolean {
  if (error instanceof NextcloudError) return refusesCredentials(error.status, error.serverMessage ?? '');
  if (error instanceof DeckApiError) return refusesCredentials(error.status, error.description);
  return false;
}

function refusesCredentials(status: number, message: string): boolean {
  return status === 401 || (status === 403 && /password|token|wipe/iu.test(message));
}

function postponement(reason: string): PostponeError {
  return new PostponeError(
    BREAKER_RECHECK_MS,
    `Nextcloud refused the app password; waiting for the office to fix it: ${reason}`,
  );
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function credentialsFingerprint(credentials: CredentialsBreakerOptions['credentials']): string {
  return createHash('sha256')
    .update(`${credentials.url}\n${credentials.user}\n${credentials.password}`)
    .digest('hex');
}
