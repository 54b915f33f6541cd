import type { Kysely } from 'kysely';
import type { Dispatcher } from 'undici';
import { AssistantInputError } from './assistant-failure.ts';
import { type AssistantHealth, checkAssistantHealth } from './assistant-health.ts';
import type { AssistantDatabase } from './assistant-schema.ts';
import {
  answerThresholdFor,
  confidencePercent,
  decideAnswer,
  DEFAULT_THRESHOLDS,
  type Thresholds,
} from './answer-policy.ts';
import {
  caseHeading,
  type CitedNote,
  choiceText,
  knownFixText,
  leadsText,
  noteGoneText,
} from './answer-text.ts';
import { type EmbeddingPrefixes, prefixesFor } from './embedding-prefixes.ts';
import { mentionedCodes } from './error-codes.ts';
import { evidenceLabel } from './exact-evidence.ts';
import {
  DEFAULT_SEARCH_OPTIONS,
  EmbeddingDimensionError,
  KnowledgeIndex,
  type Retrieval,
  type SearchHit,
  type SearchOptions,
} from './knowledge-index.ts';
import type { KnowledgeSource } from './knowledge-source.ts';
import { assistantView } from './knowledge-store.ts';
import { loadIndex, type SyncReport, syncKnowledge } from './knowledge-sync.ts';
import { type KnowledgeUnit, splitNote } from './knowledge-units.ts';
import { type ChatSettings, type ContextNote, DEFAULT_CHAT_SETTINGS, leadsMessages } from './leads-prompt.ts';
import { parseLeads, renderLeads, screenLeads } from './leads-screen.ts';
import { noteRef } from './note-ref.ts';
import {
  type CallOptions,
  createOllamaClient,
  DEFAULT_OLLAMA_TIMEOUTS,
  type OllamaClient,
  type OllamaTimeouts,
} from './ollama-client.ts';
import { isOllamaFailure } from './ollama-errors.ts';
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

/** A known fix the technician can pick with a button, when the question fits several. */
export interface AnswerChoice {
  /** Short, for the button. */
  readonly label: string;
  /** `noteRef` of the unit: what the button sends back to `answer(…, { note })`. */
  readonly note: string;
}

export interface AssistantAnswer {
  /**
   * `choose`: several known fixes fit, the technician picks one with `choices`;
   * `note-gone`: the note picked that way left the knowledge base meanwhile.
   */
  readonly kind: 'known-fix' | 'choose' | 'leads' | 'note-gone';
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
  /** For `choose`: one button each, in the order of the text. */
  readonly choices: readonly AnswerChoice[];
  /** `lexical` while Ollama could not embed the question: BM25 and exact evidence alone. */
  readonly retrieval: Retrieval;
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
  /** `note`: the known fix the technician picked among `choices` (its `AnswerChoice.note`). */
  answer(question: string, options?: { readonly note?: string }): Promise<AssistantAnswer>;
  health(): Promise<AssistantHealth>;
  /** Why the last search could not use embeddings (Ollama down…), or undefined when it could. */
  degradation(): string | undefined;
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
  let degradation: string | undefined;
  const degradedBy = (error: Error) => {
    degradation = `known fixes found without embeddings: ${error.message}`;
  };

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
    if (index.size === 0) {
      try {
        await sync();
      } catch (error) {
        if (!isOllamaFailure(error)) throw error;
        degradedBy(error);
        // Ollama cannot embed the notes: known fixes are still found by their words and codes.
        const units = (await options.knowledge.source.list()).flatMap(splitNote);
        cached = { index: KnowledgeIndex.lexicalOnly(settings.embedModel, units), at: clock().getTime() };
      }
    }
    return cached.index;
  };

  const search = async (question: string, budget: Budget): Promise<Search> => {
    const index = await currentIndex();
    if (index.size === 0) return { hits: [], retrieval: 'lexical' };
    const vector = index.embedded ? await embedQuestion(question, budget) : undefined;
    const retrieval = vector === undefined ? 'lexical' : 'hybrid';
    try {
      return { hits: index.search(question, vector, settings.search), retrieval };
    } catch (error) {
      if (!(error instanceof EmbeddingDimensionError)) throw error;
      // The model was replaced under the same name: embed the notes again, then search once more.
      await sync();
      return { hits: cached!.index.search(question, vector, settings.search), retrieval };
    }
  };

  /** The question's vector, or undefined when Ollama cannot give one: BM25 then works alone. */
  const embedQuestion = async (question: string, budget: Budget): Promise<number[] | undefined> => {
    try {
      const [vector] = await client.embed(
        settings.embedModel,
        [settings.prefixes.query + question],
        budget.call(),
      );
      degradation = undefined;
      return vector;
    } catch (error) {
      if (!isOllamaFailure(error)) throw error;
      degradedBy(error);
      return undefined;
    }
  };

  const chosenFix = async (note: string): Promise<AssistantAnswer> => {
    const unit = (await currentIndex()).units.find((candidate) => noteRef(candidate.id) === note);
    if (!unit) return noteGoneAnswer(settings);
    return knownFixAnswer(settings, { unit, score: undefined }, NO_SCORES, 'lexical', undefined);
  };

  return {
    sync,
    answer: async (question, { note } = {}) => {
      const text = question.trim();
      if (text === '') throw new AssistantInputError('the question is empty');
      if (note !== undefined) return chosenFix(note);
      const budget = new Budget(settings.answerBudgetMs, settings.totalMs);
      const { hits, retrieval } = await search(text, budget);
      const decision = decideAnswer(hits, answerThresholdFor(settings.thresholds, retrieval));
      const scores = { top: hits[0]?.score, second: hits[1]?.score };
      if (decision.kind === 'known-fix') {
        const why = evidenceLabel(decision.hit.evidence);
        return knownFixAnswer(settings, decision.hit, scores, retrieval, why);
      }
      if (decision.kind === 'choose') return chooseAnswer(settings, decision, scores, retrieval);
      const leads = { question: text, context: decision.context, indexed: hits };
      return leadsAnswer(settings, client, budget, leads, scores, retrieval);
    },
    health: async () => checkAssistantHealth(client, [settings.chatModel, settings.embedModel]),
    degradation: () => degradation,
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
const NO_SCORES: Scores = { top: undefined, second: undefined };

interface Search {
  readonly hits: SearchHit[];
  readonly retrieval: Retrieval;
}

/**
 * `hit.score` undefined: the technician picked this fix among several. `why`: what made it
 * certain, shown with the confidence (`code 567 + Fronius`).
 */
function knownFixAnswer(
  settings: Settings,
  hit: { readonly unit: KnowledgeUnit; readonly score: number | undefined },
  scores: Scores,
  retrieval: Retrieval,
  why: string | undefined,
): AssistantAnswer {
  const confidence = hit.score === undefined ? undefined : confidencePercent(hit.score);
  const note: CitedNote = { ref: undefined, unit: hit.unit, link: linkTo(settings, hit.unit) };
  const basis =
    confidence === undefined ? 'cas choisi' : `confiance ${confidence} %${why ? ` : ${why}` : ''}`;
  const { text, cut } = knownFixText(note, basis, settings.maxChars);
  return {
    kind: 'known-fix',
    text,
    cut,
    confidence,
    sources: [
      { ref: undefined, unitId: hit.unit.id, title: hit.unit.title, link: note.link, score: hit.score ?? 1 },
    ],
    scores,
    droppedLeads: 0,
    choices: [],
    retrieval,
    chat: undefined,
  };
}

function chooseAnswer(
  settings: Settings,
  decision: Extract<ReturnType<typeof decideAnswer>, { kind: 'choose' }>,
  scores: Scores,
  retrieval: Retrieval,
): AssistantAnswer {
  const options = decision.options;
  // The code the notes share, not each one's other writings of it (`E102` beside `102`). There
  // are two options at least (`Choices`, src/assistant/answer-policy.ts).
  const sharedCodes = options[0].evidence.codes.filter((code) =>
    options.every((hit) => hit.evidence.codes.includes(code)),
  );
  const { text, cut } = choiceText(
    options.map((hit) => hit.unit),
    decision.reason === 'shared-code' ? sharedCodes : undefined,
    settings.maxChars,
  );
  return {
    kind: 'choose',
    text,
    cut,
    confidence: undefined,
    sources: options.map((hit) => ({
      ref: undefined,
      unitId: hit.unit.id,
      title: hit.unit.title,
      link: linkTo(settings, hit.unit),
      score: hit.score,
    })),
    scores,
    droppedLeads: 0,
    choices: options.map((hit, i) => ({ label: choiceLabel(i, hit.unit), note: noteRef(hit.unit.id) })),
    retrieval,
    chat: undefined,
  };
}

/** Longer button texts are cut by Telegram's apps on a phone's width anyway. */
const MAX_LABEL_CHARS = 64;

/** `2. Daikin Altherma : code U4…`: the case's own heading, as short as a button allows. */
function choiceLabel(index: number, unit: KnowledgeUnit): string {
  const label = `${index + 1}. ${caseHeading(unit)}`;
  return label.length <= MAX_LABEL_CHARS ? label : `${label.slice(0, MAX_LABEL_CHARS - 1).trimEnd()}…`;
}

function noteGoneAnswer(settings: Settings): AssistantAnswer {
  const { text, cut } = noteGoneText(settings.maxChars);
  return {
    kind: 'note-gone',
    text,
    cut,
    confidence: undefined,
    sources: [],
    scores: NO_SCORES,
    droppedLeads: 0,
    choices: [],
    retrieval: 'lexical',
    chat: undefined,
  };
}

interface LeadsInput {
  readonly question: string;
  /** The notes the chat model sees. */
  readonly context: readonly SearchHit[];
  /** Every unit of the index: a code any of them explains is in our notes, shown or not. */
  readonly indexed: readonly SearchHit[];
}

async function leadsAnswer(
  settings: Settings,
  client: OllamaClient,
  budget: Budget,
  { question, context, indexed }: LeadsInput,
  scores: Scores,
  retrieval: Retrieval,
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
  // "Not in our notes" must be true of every note, not only of those shown: a note left out (a
  // lower score, another maker named) may still explain the code.
  const inOurNotes = codesExplainedBy(indexed.map((hit) => hit.unit));
  const { text, cut } = leadsText(
    {
      leadLines: renderLeads(screened.kept),
      citedNotes: cited,
      unknownCodes: [...questionCodes].filter((code) => !inOurNotes.has(code)),
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
    choices: [],
    retrieval,
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
