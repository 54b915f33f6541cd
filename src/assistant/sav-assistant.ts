import type { Kysely } from 'kysely';
import type { Dispatcher } from 'undici';
import { AssistantInputError } from './assistant-failure.ts';
import { type AssistantHealth, checkAssistantHealth } from './assistant-health.ts';
import type { AssistantDatabase } from './assistant-schema.ts';
import { confidencePercent, decideAnswer, DEFAULT_THRESHOLDS, type Thresholds } from './answer-policy.ts';
import { type CitedNote, knownFixText, leadsText } from './answer-text.ts';
import { type EmbeddingPrefixes, prefixesFor } from './embedding-prefixes.ts';
import { mentionedCodes } from './error-codes.ts';
import {
  DEFAULT_SEARCH_OPTIONS,
  EmbeddingDimensionError,
  type KnowledgeIndex,
  type SearchHit,
  type SearchOptions,
} from './knowledge-index.ts';
import type { KnowledgeSource } from './knowledge-source.ts';
import { assistantView } from './knowledge-store.ts';
import { loadIndex, type SyncReport, syncKnowledge } from './knowledge-sync.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';
import { type ChatSettings, type ContextNote, DEFAULT_CHAT_SETTINGS, leadsMessages } from './leads-prompt.ts';
import { parseLeads, renderLeads, screenLeads } from './leads-screen.ts';
import {
  type CallOptions,
  createOllamaClient,
  DEFAULT_OLLAMA_TIMEOUTS,
  type OllamaClient,
  type OllamaTimeouts,
} from './ollama-client.ts';
import { MAX_ANSWER_CHARS } from './safety.ts';

/**
 * The SAV assistant: known fixes first, the chat model's leads otherwise, safety in code.
 * Network I/O happens only in `sync`, `answer` and `health`; none of them belongs inside a
 * database transaction of the caller.
 */

export interface KnowledgeOptions {
  readonly source: KnowledgeSource;
  /** Web root of the notes folder (`https://cloud.example.fr/…/Wiki_SAV`), for links; else the path. */
  readonly linkBase?: string;
}

export interface SavAssistantOptions<DB extends AssistantDatabase> {
  readonly ollamaUrl: string;
  readonly chatModel: string;
  readonly embedModel: string;
  /** The app's database, which holds the assistant's tables (migration 0004-assistant). */
  readonly db: Kysely<DB>;
  readonly knowledge: KnowledgeOptions;
  readonly thresholds?: Partial<Thresholds>;
  readonly timeouts?: Partial<OllamaTimeouts>;
  readonly chat?: Partial<ChatSettings>;
  readonly search?: Partial<SearchOptions>;
  /** By default, what the embedding model's card asks for (`prefixesFor`). */
  readonly embeddingPrefixes?: EmbeddingPrefixes;
  readonly clock?: () => Date;
  /** A shared undici dispatcher; by default the assistant owns one with the timeouts above. */
  readonly dispatcher?: Dispatcher;
  readonly maxAnswerChars?: number;
  /** Another replica may have synced: the in-memory index is reloaded from the database after this. */
  readonly indexMaxAgeMs?: number;
  /**
   * Longest `answer()` of all its Ollama calls together. Keep it under the worker's job lock
   * (5 min), or a slow answer is taken over by another worker and sent twice.
   */
  readonly answerBudgetMs?: number;
}

export interface AnswerSource {
  /** `N1`… as the chat model saw it; undefined for a known fix. */
  readonly ref: string | undefined;
  readonly unitId: string;
  readonly title: string;
  readonly link: string;
  readonly score: number;
}

export interface AssistantAnswer {
  readonly kind: 'known-fix' | 'leads';
  /** Plain text for Telegram: starts with the safety line, at most `maxAnswerChars`. */
  readonly text: string;
  /** Something was left out: by our length bound, or the model stopped on `num_predict`. */
  readonly cut: boolean;
  /** 0-100, for a known fix. */
  readonly confidence: number | undefined;
  /** The known fix, or the notes shown to the model, best first. */
  readonly sources: readonly AnswerSource[];
  /** Best and second-best scores, for logs and calibration. */
  readonly scores: { readonly top: number | undefined; readonly second: number | undefined };
  /** Leads removed by the safety and honesty checks. */
  readonly droppedLeads: number;
  readonly chat:
    | {
        readonly model: string;
        readonly doneReason: string;
        readonly promptEvalCount: number | undefined;
        readonly evalCount: number | undefined;
        readonly totalDurationMs: number | undefined;
      }
    | undefined;
}

export interface SavAssistant {
  /** Re-reads the notes and embeds what changed. Run at start and on a schedule. */
  sync(): Promise<SyncReport>;
  answer(question: string): Promise<AssistantAnswer>;
  health(): Promise<AssistantHealth>;
  close(): Promise<void>;
}

const DEFAULT_INDEX_MAX_AGE_MS = 5 * 60_000;
const DEFAULT_ANSWER_BUDGET_MS = 270_000;

export function createSavAssistant<DB extends AssistantDatabase>(
  options: SavAssistantOptions<DB>,
): SavAssistant {
  const db = assistantView(options.db);
  const client = createOllamaClient({
    url: options.ollamaUrl,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const settings: Settings = {
    chatModel: options.chatModel,
    embedModel: options.embedModel,
    prefixes: options.embeddingPrefixes ?? prefixesFor(options.embedModel),
    thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    chat: { ...DEFAULT_CHAT_SETTINGS, ...options.chat },
    search: { ...DEFAULT_SEARCH_OPTIONS, ...options.search },
    maxChars: options.maxAnswerChars ?? MAX_ANSWER_CHARS,
    linkBase: options.knowledge.linkBase?.replace(/\/+$/u, ''),
    totalMs: options.timeouts?.totalMs ?? DEFAULT_OLLAMA_TIMEOUTS.totalMs,
    answerBudgetMs: options.answerBudgetMs ?? DEFAULT_ANSWER_BUDGET_MS,
  };
  const clock = options.clock ?? (() => new Date());
  const indexMaxAgeMs = options.indexMaxAgeMs ?? DEFAULT_INDEX_MAX_AGE_MS;
  let cached: { index: KnowledgeIndex; at: number } | undefined;
  let syncing: Promise<SyncReport> | undefined;

  const sync = async (): Promise<SyncReport> => {
    // One sync at a time: a second caller shares the running one.
    syncing ??= (async () => {
      try {
        const { report, index } = await syncKnowledge({
          db,
          source: options.knowledge.source,
          client,
          embedModel: settings.embedModel,
          prefixes: settings.prefixes,
          now: clock,
        });
        cached = { index, at: clock().getTime() };
        return report;
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };

  const currentIndex = async (): Promise<KnowledgeIndex> => {
    if (cached && clock().getTime() - cached.at < indexMaxAgeMs) return cached.index;
    const index = await loadIndex(db, settings.embedModel);
    cached = { index, at: clock().getTime() };
    // Nothing embedded with this model yet (first start, or the model changed): build it now.
    if (index.size === 0) await sync();
    return cached.index;
  };

  const search = async (question: string, budget: Budget): Promise<SearchHit[]> => {
    const index = await currentIndex();
    if (index.size === 0) return [];
    const [vector] = await client.embed(
      settings.embedModel,
      [settings.prefixes.query + question],
      budget.call(),
    );
    try {
      return index.search(question, vector!, settings.search);
    } catch (error) {
      if (!(error instanceof EmbeddingDimensionError)) throw error;
      // The model was replaced under the same name: embed the notes again, then search once more.
      await sync();
      return cached!.index.search(question, vector!, settings.search);
    }
  };

  return {
    sync,
    answer: async (question) => {
      const text = question.trim();
      if (text === '') throw new AssistantInputError('the question is empty');
      const budget = new Budget(settings.answerBudgetMs, settings.totalMs);
      const hits = await search(text, budget);
      const decision = decideAnswer(hits, settings.thresholds);
      const scores = { top: hits[0]?.score, second: hits[1]?.score };
      if (decision.kind === 'known-fix') return knownFixAnswer(settings, decision.hit, scores);
      return leadsAnswer(settings, client, budget, text, decision.context, scores);
    },
    health: async () => checkAssistantHealth(client, [settings.chatModel, settings.embedModel]),
    close: async () => client.close(),
  };
}

interface Settings {
  readonly chatModel: string;
  readonly embedModel: string;
  readonly prefixes: EmbeddingPrefixes;
  readonly thresholds: Thresholds;
  readonly chat: ChatSettings;
  readonly search: SearchOptions;
  readonly maxChars: number;
  readonly linkBase: string | undefined;
  readonly totalMs: number;
  readonly answerBudgetMs: number;
}

/** What is left of an answer's time for the next Ollama call (a monotonic clock: it is a timer). */
class Budget {
  private readonly deadline: number;
  private readonly perCallMs: number;

  constructor(budgetMs: number, perCallMs: number) {
    this.deadline = performance.now() + budgetMs;
    this.perCallMs = perCallMs;
  }

  call(): CallOptions {
    const left = Math.max(1, Math.floor(this.deadline - performance.now()));
    return { timeouts: { totalMs: Math.min(this.perCallMs, left) } };
  }
}

type Scores = AssistantAnswer['scores'];

function knownFixAnswer(settings: Settings, hit: SearchHit, scores: Scores): AssistantAnswer {
  const confidence = confidencePercent(hit.score);
  const note: CitedNote = { ref: undefined, unit: hit.unit, link: linkTo(settings, hit.unit) };
  const { text, cut } = knownFixText(note, confidence, settings.maxChars);
  return {
    kind: 'known-fix',
    text,
    cut,
    confidence,
    sources: [
      { ref: undefined, unitId: hit.unit.id, title: hit.unit.title, link: note.link, score: hit.score },
    ],
    scores,
    droppedLeads: 0,
    chat: undefined,
  };
}

async function leadsAnswer(
  settings: Settings,
  client: OllamaClient,
  budget: Budget,
  question: string,
  context: readonly SearchHit[],
  scores: Scores,
): Promise<AssistantAnswer> {
  const notes: ContextNote[] = context.map((hit, i) => ({ ref: `N${i + 1}`, unit: hit.unit }));
  const { messages, notesUsed } = leadsMessages(question, notes, settings.chat);
  const result = await client.chat(
    {
      model: settings.chatModel,
      messages,
      options: {
        temperature: settings.chat.temperature,
        num_ctx: settings.chat.numCtx,
        num_predict: settings.chat.numPredict,
        ...(settings.chat.seed === undefined ? {} : { seed: settings.chat.seed }),
      },
      keepAlive: settings.chat.keepAlive,
    },
    budget.call(),
  );
  const cutByModel = result.doneReason === 'length';
  const knownCodes = codesExplainedBy(notesUsed.map((note) => note.unit));
  const questionCodes = mentionedCodes(question);
  const screened = screenLeads(
    parseLeads(result.content, { truncated: cutByModel }),
    knownCodes,
    questionCodes,
  );
  const cited = notesUsed.map((note) => ({ ...note, link: linkTo(settings, note.unit) }));
  const { text, cut } = leadsText(
    {
      leadLines: renderLeads(screened.kept),
      citedNotes: cited,
      unknownCodes: [...questionCodes].filter((code) => !knownCodes.has(code)),
      cutByModel,
    },
    settings.maxChars,
  );
  const scoreOf = new Map(context.map((hit) => [hit.unit.id, hit.score]));
  return {
    kind: 'leads',
    text,
    cut,
    confidence: undefined,
    sources: cited.map((note) => ({
      ref: note.ref,
      unitId: note.unit.id,
      title: note.unit.title,
      link: note.link,
      score: scoreOf.get(note.unit.id) ?? 0,
    })),
    scores,
    droppedLeads: screened.dropped.length,
    chat: {
      model: settings.chatModel,
      doneReason: result.doneReason,
      promptEvalCount: result.promptEvalCount,
      evalCount: result.evalCount,
      totalDurationMs: result.totalDurationMs,
    },
  };
}

/** Codes the notes list, or talk about as codes in their text. */
function codesExplainedBy(units: readonly KnowledgeUnit[]): Set<string> {
  return new Set(units.flatMap((unit) => [...unit.codes, ...mentionedCodes(unit.body)]));
}

function linkTo(settings: Settings, unit: KnowledgeUnit): string {
  if (unit.link !== undefined) return unit.link;
  if (settings.linkBase === undefined) return unit.path;
  return `${settings.linkBase}/${unit.path.split('/').map(encodeURIComponent).join('/')}`;
}
