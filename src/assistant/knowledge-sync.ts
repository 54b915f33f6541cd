import { createHash } from 'node:crypto';
import type { EmbeddingPrefixes } from './embedding-prefixes.ts';
import { KnowledgeIndex } from './knowledge-index.ts';
import type { KnowledgeSource } from './knowledge-source.ts';
import {
  type AssistantDb,
  indexedUnits,
  loadStoredUnits,
  replaceStoredUnits,
  type StoredUnit,
} from './knowledge-store.ts';
import { embeddingText, splitNote } from './knowledge-units.ts';
import type { OllamaClient } from './ollama-client.ts';
import { OllamaProtocolError } from './ollama-errors.ts';

/**
 * Brings the stored index in line with the notes: embeds what is new or changed (text, model,
 * prefixes or dimension), keeps the rest, forgets what was removed, all written at once.
 */

export interface SyncReport {
  /** Known fixes in the knowledge base now. */
  readonly units: number;
  readonly embedded: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly model: string;
  readonly dimensions: number | undefined;
  /** Notes that were not UTF-8, read as windows-1252 (a guess): to save again in UTF-8. */
  readonly readAsWindows1252: readonly string[];
}

export interface SyncDeps {
  readonly db: AssistantDb;
  readonly source: KnowledgeSource;
  readonly client: OllamaClient;
  readonly embedModel: string;
  readonly prefixes: EmbeddingPrefixes;
  readonly now: () => Date;
  /** Inputs per /api/embed call. */
  readonly batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 16;

export async function syncKnowledge(deps: SyncDeps): Promise<{ report: SyncReport; index: KnowledgeIndex }> {
  const files = await deps.source.list();
  const units = files.flatMap(splitNote);
  const stored = await loadStoredUnits(deps.db);
  const planned = units.map((unit) => {
    const input = deps.prefixes.document + embeddingText(unit);
    return { unit, input, textHash: sha256(input), previous: stored.get(unit.id) };
  });
  const isFresh = (p: (typeof planned)[number]) =>
    p.previous?.model === deps.embedModel && p.previous.textHash === p.textHash;

  let toEmbed = planned.filter((p) => !isFresh(p));
  const fresh = planned.filter(isFresh);
  // One stored note embedded again tells whether the model changed behind the same name (a new
  // pull): its old vectors would no longer compare with new queries
  // (https://docs.ollama.com/capabilities/embeddings).
  const probe = fresh[0];
  const vectors = await embedAll(deps, [...toEmbed.map((p) => p.input), ...(probe ? [probe.input] : [])]);
  const probeVector = probe ? vectors.pop() : undefined;
  if (probe && !sameVector(probeVector!, probe.previous!.vector)) {
    vectors.push(
      probeVector!,
      ...(await embedAll(
        deps,
        fresh.slice(1).map((p) => p.input),
      )),
    );
    toEmbed = [...toEmbed, ...fresh];
  }
  const dimensions = vectors[0]?.length ?? probeVector?.length;
  if (vectors.some((vector) => vector.length !== dimensions)) {
    throw new OllamaProtocolError('/api/embed', 'embeddings of different dimensions from one model');
  }

  const now = deps.now().getTime();
  const embedded = new Map(toEmbed.map((p, i) => [p.unit.id, Float32Array.from(vectors[i]!)]));
  const writes: StoredUnit[] = planned.map((p) => {
    const vector = embedded.get(p.unit.id);
    return vector
      ? { unit: p.unit, textHash: p.textHash, model: deps.embedModel, vector, embeddedAt: now }
      : { ...p.previous!, unit: p.unit };
  });
  const removed = await replaceStoredUnits(deps.db, writes);
  const index = new KnowledgeIndex(
    deps.embedModel,
    indexedUnits(new Map(writes.map((w) => [w.unit.id, w])), deps.embedModel),
  );
  return {
    report: {
      units: units.length,
      embedded: embedded.size,
      unchanged: units.length - embedded.size,
      removed,
      model: deps.embedModel,
      dimensions,
      readAsWindows1252: files.filter((file) => file.encoding === 'windows-1252').map((file) => file.path),
    },
    index,
  };
}

/** The index as stored, for the configured model, without asking the source or Ollama. */
export async function loadIndex(db: AssistantDb, embedModel: string): Promise<KnowledgeIndex> {
  return new KnowledgeIndex(embedModel, indexedUnits(await loadStoredUnits(db), embedModel));
}

async function embedAll(deps: SyncDeps, inputs: readonly string[]): Promise<number[][]> {
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  const vectors: number[][] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    vectors.push(...(await deps.client.embed(deps.embedModel, inputs.slice(start, start + batchSize))));
  }
  return vectors;
}

/** Same model, same text: the same vector, up to float32 storage and GPU noise. */
function sameVector(fresh: readonly number[], stored: Float32Array): boolean {
  if (fresh.length !== stored.length) return false;
  let dot = 0;
  let freshNorm = 0;
  let storedNorm = 0;
  fresh.forEach((x, i) => {
    const y = stored[i]!;
    dot += x * y;
    freshNorm += x * x;
    storedNorm += y * y;
  });
  return dot / Math.sqrt(freshNorm * storedNorm) > 0.999;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
