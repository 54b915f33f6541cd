/**
 * Prints, for each answer threshold, how precise the "💡 Solution connue" answers would be and
 * how many reports they would cover, over calibration/labelled-pairs.json (pick the
 * threshold for high precision, per embedding model; never hard-code it: src/assistant/calibration.ts).
 *
 *   node scripts/calibrate.ts                 against OLLAMA_URL with OLLAMA_EMBED_MODEL
 *   node scripts/calibrate.ts --stand-in      against the test stand-in (hashed bag of words)
 *   options: --knowledge <dir> --pairs <file> --margin 0.05 --from 0.2 --to 1.2 --step 0.05
 *            --min-precision 0.95
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  evaluateThresholds,
  type LabelledPair,
  type PairOutcome,
  suggestThreshold,
  thresholdRange,
  topOneAccuracy,
} from '../src/assistant/calibration.ts';
import { prefixesFor } from '../src/assistant/embedding-prefixes.ts';
import { KnowledgeIndex } from '../src/assistant/knowledge-index.ts';
import { localFolderSource } from '../src/assistant/knowledge-source.ts';
import { embeddingText, splitNote } from '../src/assistant/knowledge-units.ts';
import { createOllamaClient } from '../src/assistant/ollama-client.ts';
import { OllamaStandIn, STAND_IN_EMBED_MODEL } from '../stand-ins/ollama-stand-in.ts';

const { values: args } = parseArgs({
  options: {
    'stand-in': { type: 'boolean', default: false },
    knowledge: { type: 'string', default: 'knowledge/Wiki_SAV' },
    pairs: { type: 'string', default: 'calibration/labelled-pairs.json' },
    margin: { type: 'string', default: '0.05' },
    from: { type: 'string', default: '0.2' },
    to: { type: 'string', default: '1.2' },
    step: { type: 'string', default: '0.05' },
    'min-precision': { type: 'string', default: '0.95' },
  },
});

const standIn = args['stand-in'] ? await OllamaStandIn.start() : undefined;
const url = standIn?.url ?? process.env.OLLAMA_URL ?? 'http://127.0.0.1:11434';
const model = standIn ? STAND_IN_EMBED_MODEL : (process.env.OLLAMA_EMBED_MODEL ?? 'nomic-embed-text');
const client = createOllamaClient({ url });
try {
  await main();
} catch (error) {
  process.exitCode = 1;
  console.error(error instanceof Error ? error.message : error);
} finally {
  await client.close();
  await standIn?.close();
}

async function main(): Promise<void> {
  const pairs = labelledPairs(JSON.parse(await readFile(args.pairs, 'utf8')));
  const units = (await localFolderSource(args.knowledge).list()).flatMap(splitNote);
  const unknown = pairs.flatMap((pair) =>
    pair.expected !== null && !units.some((u) => u.id === pair.expected) ? [pair.expected] : [],
  );
  if (unknown.length > 0)
    throw new Error(`labelled pairs name unknown notes: ${[...new Set(unknown)].join(', ')}`);

  const prefixes = prefixesFor(model);
  const unitVectors = await embedInBatches(units.map((unit) => prefixes.document + embeddingText(unit)));
  const index = new KnowledgeIndex(
    model,
    units.map((unit, i) => ({ unit, vector: Float32Array.from(unitVectors[i]!) })),
  );
  const questionVectors = await embedInBatches(pairs.map((pair) => prefixes.query + pair.question));
  const outcomes: PairOutcome[] = pairs.map((pair, i) => ({
    pair,
    hits: index.search(pair.question, questionVectors[i]!),
  }));

  const margin = Number(args.margin);
  const rows = evaluateThresholds(
    outcomes,
    thresholdRange(Number(args.from), Number(args.to), Number(args.step)),
    margin,
  );
  console.log(
    `model ${model} at ${standIn ? 'the stand-in' : url}: ${units.length} known fixes, ${pairs.length} labelled reports`,
  );
  console.log(`right note ranked first: ${percent(topOneAccuracy(outcomes))}\n`);
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
      ? `\nlowest threshold with precision ≥ ${percent(minPrecision)}: ${suggestion.answer} (recall ${percent(suggestion.recall)})`
      : `\nno threshold reaches precision ${percent(minPrecision)} with any correct answer`,
  );
  const misses = outcomes.filter((o) => o.pair.expected !== null && o.hits[0]?.unit.id !== o.pair.expected);
  if (misses.length > 0) console.log('\nright note not first (improve these notes or the labels):');
  for (const miss of misses) {
    console.log(
      `  ${miss.pair.question}\n    expected ${miss.pair.expected ?? '-'}, got ${miss.hits[0]?.unit.id ?? '-'} (${miss.hits[0]?.score.toFixed(3) ?? '-'})`,
    );
  }
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
      `${args.pairs}: expected { "pairs": [{ "question": "…", "expected": "<unit id>" | null }] }`,
    );
  return pairs as LabelledPair[];
}

async function embedInBatches(inputs: readonly string[]): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let start = 0; start < inputs.length; start += 16) {
    vectors.push(...(await client.embed(model, inputs.slice(start, start + 16))));
  }
  return vectors;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}
