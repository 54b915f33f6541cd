import type { KnowledgeUnit } from './knowledge-units.ts';
import { boundLines, type BoundedText, MAX_ANSWER_CHARS, SAFETY_LINE, suggestsBypass } from './safety.ts';

/**
 * The technician's text, plain (the gateway and our Telegram calls set no parse mode): the safety
 * line first, always, then the answer, then where it comes from; never more than 3500 characters.
 */

export const CUT_BY_LENGTH = '✂️ Réponse coupée : la suite dépassait la longueur d’un message.';
export const CUT_BY_MODEL = '✂️ Réponse coupée : le modèle a atteint sa limite de longueur.';
export const NO_RELIABLE_LEAD =
  'Aucune piste fiable à proposer : se référer à la documentation du fabricant ou appeler le support.';
export const IF_NOTHING_WORKS =
  'Si rien ne marche : noter les codes affichés, faire des photos et escalader au bureau SAV.';

export interface CitedNote {
  readonly ref: string | undefined;
  readonly unit: KnowledgeUnit;
  readonly link: string;
}

/**
 * "💡 Solution connue" with the note's title, cause and fix, the link, and in brackets why it was
 * chosen (`confiance 97 % : code 567 + Fronius`, `cas choisi`).
 */
export function knownFixText(note: CitedNote, basis: string, maxChars = MAX_ANSWER_CHARS): BoundedText {
  const head = [SAFETY_LINE, '', `💡 Solution connue (${basis}) — ${note.unit.title}`];
  const cause = note.unit.cause === '' ? [] : [`Cause : ${firstParagraph(note.unit.cause)}`];
  const fix = note.unit.fix.split('\n').filter((line) => line.trim() !== '');
  // Curated notes too: a careless edit of the wiki must not reach a technician as advice.
  const body = [...cause, ...fix].filter((line) => !suggestsBypass(line));
  return boundLines(head, body, ['', `📄 Note : ${note.link}`], CUT_BY_LENGTH, maxChars);
}

export const CHOOSE_A_CASE = 'Touche le bouton du bon cas pour recevoir la solution connue.';
export const NOTE_GONE =
  'Cette note n’est plus dans la base SAV (elle a été modifiée ou retirée) : repose la question avec /question.';

/**
 * Several known fixes fit: "❓" with one numbered line per fix, the buttons do the rest. `codes`:
 * the code typed, when it is what several notes share (then the equipment tells them apart);
 * undefined when they are the cases of one note (then each case's own heading does).
 */
export function choiceText(
  units: readonly KnowledgeUnit[],
  codes: readonly string[] | undefined,
  maxChars = MAX_ANSWER_CHARS,
): BoundedText {
  if (codes !== undefined) {
    const question = `❓ Le code ${codes.join(', ')} figure dans ${units.length} notes : de quel équipement s’agit-il ?`;
    const lines = units.map(
      (unit, i) => `${i + 1}. ${unit.title}${inBrackets(unit.equipment, ...unit.brands)}`,
    );
    return boundLines([SAFETY_LINE, '', question], lines, ['', CHOOSE_A_CASE], CUT_BY_LENGTH, maxChars);
  }
  const note = noteTitle(units[0]!);
  const question = `❓ ${note} : plusieurs cas connus. Lequel décrit ce que tu vois ?`;
  const lines = units.map((unit, i) => `${i + 1}. ${caseHeading(unit)}${inBrackets(...unit.brands)}`);
  return boundLines([SAFETY_LINE, '', question], lines, ['', CHOOSE_A_CASE], CUT_BY_LENGTH, maxChars);
}

/** `Daikin Altherma : code U4` of `PAC air/eau : … — Daikin Altherma : code U4`: a case's own heading. */
export function caseHeading(unit: KnowledgeUnit): string {
  return unit.title.split(' — ').at(-1)!;
}

function noteTitle(unit: KnowledgeUnit): string {
  const heading = caseHeading(unit);
  return unit.title === heading ? heading : unit.title.slice(0, -(heading.length + ' — '.length));
}

export function noteGoneText(maxChars = MAX_ANSWER_CHARS): BoundedText {
  return boundLines([SAFETY_LINE, ''], [NOTE_GONE], [], CUT_BY_LENGTH, maxChars);
}

function inBrackets(...parts: (string | undefined)[]): string {
  const named = parts.filter((part) => part !== undefined && part !== '');
  return named.length === 0 ? '' : ` (${named.join(', ')})`;
}

/**
 * What the technician reads instead of an answer when the assistant's job died (Ollama stayed
 * down through every attempt, or refused for good: a chat model not pulled). No safety line: it
 * gives no advice.
 */
export const ASSISTANT_UNAVAILABLE =
  '🔎 L’assistant SAV ne répond pas pour l’instant : réessaie plus tard ou appelle le bureau.';

/** The same for a SAV report's leads; the report id at the end, as under its answer. */
export function assistantUnavailableForReport(publicId: string): string {
  return `🔎 L’assistant SAV ne répond pas pour l’instant : pas de pistes pour ce SAV. Réessaie plus tard avec /question ou appelle le bureau.\n\n🎫 ${publicId}`;
}

export interface LeadsTextInput {
  readonly leadLines: readonly string[];
  readonly citedNotes: readonly CitedNote[];
  /** Codes of the question no note explains: said plainly, from code, not left to the model. */
  readonly unknownCodes: readonly string[];
  /** The model stopped on `num_predict`. */
  readonly cutByModel: boolean;
}

/** "🔎 Pistes" (numbered, screened), the notes consulted with their links, and the fallbacks. */
export function leadsText(input: LeadsTextInput, maxChars = MAX_ANSWER_CHARS): BoundedText {
  const head = [SAFETY_LINE, '', '🔎 Pistes à vérifier (assistant IA, la plus probable d’abord) :'];
  const body = input.leadLines.length > 0 ? [...input.leadLines] : [NO_RELIABLE_LEAD];
  if (input.cutByModel) body.push(CUT_BY_MODEL);
  const tail = [
    '',
    ...input.unknownCodes.map(
      (code) => `ℹ️ Le code ${code} ne figure pas dans nos notes : voir la documentation du fabricant.`,
    ),
    ...input.citedNotes.map((note) => `📄 [${note.ref ?? '?'}] ${note.unit.title} : ${note.link}`),
    IF_NOTHING_WORKS,
  ];
  const bounded = boundLines(head, body, tail, CUT_BY_LENGTH, maxChars);
  return { text: bounded.text, cut: bounded.cut || input.cutByModel };
}

function firstParagraph(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}
