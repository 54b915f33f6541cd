/**
 * Prints, for each answer threshold, how precise the "💡 Solution connue" answers (and the
 * choices between known fixes) would be and how many reports they would cover, over
 * calibration/labelled-pairs.json, for three ways of scoring the notes: BM25 alone (what the
 * assistant does while Ollama is down), the embeddings alone, and the hybrid the assistant uses.
 * Exact evidence (a code typed that a note declares) comes first in all three.
 *
 *   node scripts/calibrate.ts                 against OLLAMA_URL with OLLAMA_EMBED_MODEL, or the
 *                                             stand-in (hashed bag of words) when it is unreachable
 *   node scripts/calibrate.ts --stand-in      against the stand-in
 *   options: --knowledge <dir> --pairs <file> --margin 0.05 --from 0.3 --to 1 --step 0.05
 *            --min-precision 0.95 --verbose (list the reports whose right note is not first)
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decideAnswer } from '../src/assistant/answer-policy.ts';
import {
  evaluateThresholds,
  isRight,
  type LabelledPair,
  type PairOutcome,
  rankedFirst,
  suggestThreshold,
  thresholdRange,
  topOneAccuracy,
} from '../src/assistant/calibration.ts';
import { prefixesFor } from '../src/assistant/embedding-prefixes.ts';
import { KnowledgeIndex } from '../src/assistant/knowledge-index.ts';
import { localFolderSource } from '../src/assistant/knowledge-source.ts';
import { embeddingText, type KnowledgeUnit, splitNote } from '../src/assistant/knowledge-units.ts';
import { createOllamaClient, type OllamaClient } from '../src/assistant/ollama-client.ts';
import { isOllamaFailure } from '../src/assistant/ollama-errors.ts';
import { OllamaStandIn, STAND_IN_EMBED_MODEL } from '../stand-ins/ollama-stand-in.ts';

const { values: args } = parseArgs({
  options: {
    'stand-in': { type: 'boolean', default: false },
    knowledge: { type: 'string', default: 'knowledge/Wiki_SAV' },
    pairs: { type: 'string', default: 'calibration/labelled-pairs.json' },
    margin: { type: 'string', default: '0.05' },
    from: { type: 'string', default: '0.3' },
    to: { type: 'string', default: '1' },
    step: { type: 'string', default: '0.05' },
    'min-precision': { type: 'string', default: '0.95' },
    verbose: { type: 'boolean', default: false },
  },
});

interface Embedder {
  readonly client: OllamaClient;
  readonly model: string;
  readonly where: string;
  close(): Promise<void>;
}

const embedder = await openEmbedder();
try {
  await main(embedder);
} catch (error) {
  process.exitCode = 1;
  console.error(error instanceof Error ? error.message : error);
} finally {
  await embedder.close();
}

async function main({ client, model, where }: Embedder): Promise<void> {
  const pairs = labelledPairs(JSON.parse(await readFile(args.pairs, 'utf8')));
  const units = (await localFolderSource(args.knowledge).list()).flatMap(splitNote);
  checkLabels(pairs, units);

  const prefixes = prefixesFor(model);
  const embed = async (inputs: readonly string[]) => embedInBatches(client, model, inputs);
  const unitVectors = await embed(units.map((unit) => prefixes.document + embeddingText(unit)));
  const index = new KnowledgeIndex(
    model,
    units.map((unit, i) => ({ unit, vector: Float32Array.from(unitVectors[i]!) })),
  );
  const questionVectors = await embed(pairs.map((pair) => prefixes.query + pair.question));
  const noNote = pairs.filter((pair) => pair.expected === null).length;
  console.log(
    `${units.length} known fixes, ${pairs.length} labelled reports (${pairs.length - noNote} with a note, ${noNote} without); embeddings: ${model} at ${where}`,
  );

  const modes = {
    'lexical only (BM25, Ollama down)': (pair: LabelledPair) => index.search(pair.question, undefined),
    [`embeddings only (${model})`]: (pair: LabelledPair, i: number) =>
      index.search(pair.question, questionVectors[i], { embeddingWeight: 1 }),
    'hybrid (BM25 + embeddings, what the assistant uses)': (pair: LabelledPair, i: number) =>
      index.search(pair.question, questionVectors[i]),
  };
  for (const [name, search] of Object.entries(modes)) {
    report(
      name,
      pairs.map((pair, i): PairOutcome => ({ pair, hits: search(pair, i) })),
    );
  }
}

function report(name: string, outcomes: PairOutcome[]): void {
  const margin = Number(args.margin);
  const rows = evaluateThresholds(
    outcomes,
    thresholdRange(Number(args.from), Number(args.to), Number(args.step)),
    margin,
  );
  console.log(`\n== ${name}`);
  console.log(`right note ranked first: ${percent(topOneAccuracy(outcomes))}`);
  console.log(`answer ≥  margin ≥  answered  correct  precision  recall`);
  for (const row of rows) {
    console.log(
      `${row.answer.toFixed(2).padStart(8)}  ${row.margin.toFixed(2).padStart(8)}  ${String(row.answered).padStart(8)}  ${String(row.correct).padStart(7)}  ${percent(row.precision).padStart(9)}  ${percent(row.recall).padStart(6)}`,
    );
  }
  const minPrecision = Number(args['min-precision']);
  const suggestion = suggestThreshold(rows, minPrecision);
  console.log(
    suggestion
      ? `lowest threshold with precision ≥ ${percent(minPrecision)} from there up: ${suggestion.answer} (precision ${percent(suggestion.precision)}, recall ${percent(suggestion.recall)})`
      : `no threshold reaches precision ${percent(minPrecision)} with any correct answer`,
  );
  if (!args.verbose) return;
  if (suggestion) {
    const thresholds = { answer: suggestion.answer, margin, context: 0, maxContextNotes: 0 };
    for (const { pair, hits } of outcomes) {
      const decision = decideAnswer(hits, thresholds);
      if (decision.kind === 'leads' || isRight(decision, pair.expected)) continue;
      const given = decision.kind === 'known-fix' ? decision.hit.unit.id : 'a choice';
      console.log(
        `  wrong at ${suggestion.answer}: ${pair.question} → ${given} (expected ${pair.expected ?? 'none'})`,
      );
    }
  }
  for (const miss of outcomes.filter(
    (o) => o.pair.expected !== null && !rankedFirst(o.hits[0], o.pair.expected),
  )) {
    console.log(
      `  not first: ${miss.pair.question}\n    expected ${miss.pair.expected ?? '-'}, got ${miss.hits[0]?.unit.id ?? '-'} (${miss.hits[0]?.score.toFixed(3) ?? '-'})`,
    );
  }
}

/** Real Ollama when asked or reachable, else the stand-in, said in the output either way. */
async function openEmbedder(): Promise<Embedder> {
  if (!args['stand-in']) {
    const url = process.env.OLLAMA_URL ?? 'http://127.0.0.1:11434';
    const model = process.env.OLLAMA_EMBED_MODEL ?? 'nomic-embed-text';
    const client = createOllamaClient({ url });
    try {
      await client.embed(model, ['test']);
      return { client, model, where: url, close: () => client.close() };
    } catch (error) {
      if (!isOllamaFailure(error)) throw error;
      console.log(`Ollama unusable at ${url} (${error.message}): using the stand-in's embeddings.`);
      await client.close();
    }
  }
  const standIn = await OllamaStandIn.start();
  const client = createOllamaClient({ url: standIn.url });
  return {
    client,
    model: STAND_IN_EMBED_MODEL,
    where: 'the stand-in (hashed bag of words, not a model)',
    close: async () => {
      await client.close();
      await standIn.close();
    },
  };
}

function checkLabels(pairs: readonly LabelledPair[], units: readonly KnowledgeUnit[]): void {
  const known = new Set(units.flatMap((unit) => [unit.id, unit.path]));
  const unknown = pairs.flatMap((pair) =>
    pair.expected !== null && !known.has(pair.expected) ? [pair.expected] : [],
  );
  if (unknown.length > 0)
    throw new Error(`labelled pairs name unknown notes: ${[...new Set(unknown)].join(', ')}`);
}

function labelledPairs(file: unknown): LabelledPair[] {
  const pairs = (file as { pairs?: unknown } | null)?.pairs;
  const valid =
    Array.isArray(pairs) &&
    pairs.every((pair: { question?: unknown; expected?: unknown }) => {
      return (
        typeof pair.question === 'string' && (typeof pair.expected === 'string' || pair.expected === null)
      );
    });
  if (!valid)
    throw new Error(
      `${args.pairs}: expected { "pairs": [{ "question": "…", "expected": "<unit id or note path>" | null }] }`,
    );
  return pairs as LabelledPair[];
}

async function embedInBatches(
  client: OllamaClient,
  model: string,
  inputs: readonly string[],
): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let start = 0; start < inputs.length; start += 16) {
    vectors.push(...(await client.embed(model, inputs.slice(start, start + 16))));
  }
  return vectors;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}
