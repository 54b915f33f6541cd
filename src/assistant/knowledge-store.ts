import type { Kysely, Selectable } from 'kysely';
import type { AssistantDatabase, AssistantUnitsTable } from './assistant-schema.ts';
import type { IndexedUnit } from './knowledge-index.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';

/** The persisted index: one row per known fix, with its vector and what it was made from. */

export type AssistantDb = Kysely<AssistantDatabase>;

/**
 * The app's database seen through the assistant's tables only. Kysely's types are invariant in
 * the schema, so the app's `Kysely<Database>` is not a `Kysely<AssistantDatabase>` as such; the
 * constraint guarantees the tables exist, which is all this module relies on.
 */
export function assistantView<DB extends AssistantDatabase>(db: Kysely<DB>): AssistantDb {
  return db as unknown as AssistantDb;
}
export type StoredUnitRow = Selectable<AssistantUnitsTable>;

export interface StoredUnit {
  readonly unit: KnowledgeUnit;
  readonly textHash: string;
  readonly model: string;
  readonly vector: Float32Array;
  /** Unix ms of the embedding. */
  readonly embeddedAt: number;
}

export async function loadStoredUnits(db: AssistantDb): Promise<Map<string, StoredUnit>> {
  const rows = await db.selectFrom('assistant_units').selectAll().orderBy('id').execute();
  return new Map(rows.map((row) => [row.id, fromRow(row)]));
}

/** The rows made with `model`, ready for a KnowledgeIndex. */
export function indexedUnits(stored: ReadonlyMap<string, StoredUnit>, model: string): IndexedUnit[] {
  return [...stored.values()]
    .filter((entry) => entry.model === model)
    .map((entry) => ({ unit: entry.unit, vector: entry.vector }));
}

export type UnitWrite = StoredUnit;

/** Replaces the whole index in one transaction: writes `units`, deletes every other row. */
export async function replaceStoredUnits(db: AssistantDb, units: readonly UnitWrite[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const keep = units.map((write) => write.unit.id);
    const removed = await (
      keep.length === 0
        ? trx.deleteFrom('assistant_units')
        : trx.deleteFrom('assistant_units').where('id', 'not in', keep)
    ).executeTakeFirst();
    for (const write of units) {
      const row = toRow(write);
      await trx
        .insertInto('assistant_units')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
    }
    return Number(removed.numDeletedRows);
  });
}

function toRow(write: UnitWrite): AssistantUnitsTable {
  return {
    id: write.unit.id,
    path: write.unit.path,
    unit: JSON.stringify(write.unit),
    text_hash: write.textHash,
    embed_model: write.model,
    dimensions: write.vector.length,
    vector: vectorToBytes(write.vector),
    embedded_at: write.embeddedAt,
  };
}

/** A unit stored before `makers` existed: read as before, each brand a maker, until the next sync. */
type StoredUnitJson = Omit<KnowledgeUnit, 'makers'> & { readonly makers?: readonly string[] };

function fromRow(row: StoredUnitRow): StoredUnit {
  const unit = JSON.parse(row.unit) as StoredUnitJson;
  return {
    unit: { ...unit, makers: unit.makers ?? unit.brands },
    textHash: row.text_hash,
    model: row.embed_model,
    vector: bytesToVector(row.vector, row.dimensions),
    embeddedAt: row.embedded_at,
  };
}

/** Float32, little-endian whatever the machine, so a database file moves between machines. */
export function vectorToBytes(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((x, i) => {
    view.setFloat32(i * 4, x, true);
  });
  return bytes;
}

export function bytesToVector(bytes: Uint8Array, dimensions: number): Float32Array {
  if (bytes.byteLength !== dimensions * 4) {
    throw new Error(`stored vector has ${bytes.byteLength} bytes, expected ${dimensions * 4}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: dimensions }, (_, i) => view.getFloat32(i * 4, true));
}
