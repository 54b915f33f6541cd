import type { ChatMessage } from './ollama-client.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';

/**
 * The chat request for diagnostic leads : a short French system prompt, the
 * technician's report and the closest notes with ids to cite, and the key rules repeated in the
 * user turn (mistral folds the system text into the user turn, sometimes badly).
 */

export interface ChatSettings {
  /** Explicit: server defaults differ by version and VRAM, and a too-long prompt is cut silently. */
  readonly numCtx: number;
  /** Bounds generation time and length; `done_reason: "length"` when reached. */
  readonly numPredict: number;
  readonly temperature: number;
  /** Fixed in tests for repeatable answers. */
  readonly seed: number | undefined;
  /** How long the model stays loaded after the answer (Ollama's default is 5 min). */
  readonly keepAlive: string;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = {
  numCtx: 4096,
  numPredict: 500,
  temperature: 0.2,
  seed: undefined,
  keepAlive: '30m',
};

/** A note as the model sees it: `[N1]`, `[N2]`… in order of score. */
export interface ContextNote {
  readonly ref: string;
  readonly unit: KnowledgeUnit;
}

export const SYSTEM_PROMPT = [
  "Tu es l'assistant SAV d'un installateur alsacien (photovoltaïque, pompes à chaleur, bornes de recharge IRVE, pilotage énergétique).",
  'Tu aides un technicien sur place. Réponds en français, en texte simple, sans Markdown.',
  'Donne 3 à 5 pistes numérotées, la plus probable en premier. Chaque piste tient en deux lignes :',
  '1. Cause : <cause probable> [N1]',
  '   Vérifier : <contrôle concret à faire sur place>',
  "Appuie-toi d'abord sur les notes fournies et cite leur identifiant entre crochets quand une piste en vient.",
  "Ne donne jamais la signification d'un code d'erreur absent des notes : écris que ce code n'est pas dans nos notes et renvoie à la documentation du fabricant.",
  'Ne propose jamais de shunter, ponter, contourner ou désactiver une protection (différentiel, disjoncteur, fusible, parafoudre, sectionneur, pressostat).',
  'Toute intervention sur une partie sous tension demande une habilitation électrique.',
  "Pas d'introduction, pas de conclusion, 1500 caractères au plus.",
].join('\n');

const REMINDER =
  'Rappel : 3 à 5 pistes numérotées (Cause puis Vérifier), la plus probable en premier, en français, ' +
  "sans inventer la signification d'un code, sans contourner aucune protection.";

/** Rough French token count for sizing: about 3 characters a token, rounded up to be safe. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

const MAX_QUESTION_CHARS = 2000;
const MAX_NOTE_CHARS = 900;
const MIN_NOTE_CHARS = 200;
/** Room for the chat template's own tokens. */
const TEMPLATE_TOKENS = 64;

/**
 * The messages for `/api/chat`, with note bodies shortened (then notes dropped, last first) until
 * prompt + answer fit in `numCtx`: Ollama would otherwise cut the prompt without saying so.
 */
export function leadsMessages(
  question: string,
  notes: readonly ContextNote[],
  settings: ChatSettings,
): { messages: ChatMessage[]; notesUsed: readonly ContextNote[] } {
  const report = question.trim().slice(0, MAX_QUESTION_CHARS);
  const budget = settings.numCtx - settings.numPredict - TEMPLATE_TOKENS;
  let used = [...notes];
  let noteChars = MAX_NOTE_CHARS;
  for (;;) {
    const messages = build(report, used, noteChars);
    const tokens = messages.reduce((sum, message) => sum + estimateTokens(message.content), 0);
    if (tokens <= budget || used.length === 0) return { messages, notesUsed: used };
    if (noteChars > MIN_NOTE_CHARS) noteChars = Math.max(MIN_NOTE_CHARS, Math.floor(noteChars * 0.7));
    else used = used.slice(0, -1);
  }
}

function build(report: string, notes: readonly ContextNote[], noteChars: number): ChatMessage[] {
  const context =
    notes.length === 0
      ? 'Aucune note proche dans la base SAV : dis-le si une piste repose sur tes connaissances générales.'
      : notes
          .map((note) => `[${note.ref}] ${note.unit.title}\n${shorten(note.unit.body, noteChars)}`)
          .join('\n\n');
  const user = [
    'Signalement du technicien :',
    report,
    '',
    'Notes de la base SAV (les plus proches) :',
    context,
    '',
    REMINDER,
  ].join('\n');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}

function shorten(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lineEnd = cut.lastIndexOf('\n');
  return `${lineEnd > maxChars / 2 ? cut.slice(0, lineEnd) : cut}…`;
}
