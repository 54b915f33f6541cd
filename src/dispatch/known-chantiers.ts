import type { Kysely, Transaction } from 'kysely';
import { compiledOnce } from '../db/compiled-query.ts';
import type { Database } from '../db/schema.ts';

/** How many names the conversation compares with: the most recently seen. */
const KNOWN_LIMIT = 2000;

/** The known chantiers, most recently seen first: one indexed read, no network. */
export async function loadKnownChantiers(trx: Transaction<Database> | Kysely<Database>): Promise<string[]> {
  const { rows } = await selectKnown(trx, {});
  return rows.map((row) => row.name);
}

/** Every update with a conversation reads it: compiled once (src/db/compiled-query.ts). */
const selectKnown = compiledOnce((db) =>
  db.selectFrom('known_chantiers').select('name').orderBy('seen_at', 'desc').limit(KNOWN_LIMIT),
);

/** Remembers chantier names (a report's, or folders listed in Nextcloud). */
export async function rememberChantiers(
  trx: Transaction<Database> | Kysely<Database>,
  names: readonly string[],
  now: Date,
): Promise<void> {
  for (const name of new Set(names.map((n) => n.trim()).filter((n) => n !== ''))) {
    await trx
      .insertInto('known_chantiers')
      .values({ name, seen_at: now.getTime() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ seen_at: now.getTime() }))
      .execute();
  }
}

/** `20260325_Müller` or `2026-03-25_Müller` → `Müller`: a client folder's chantier name. */
export function chantierOfFolder(folder: string): string {
  return folder.replace(/^\d{4}-?\d{2}-?\d{2}_/u, '');
}
