import { mentionedCodes } from './error-codes.ts';
import { suggestsBypass } from './safety.ts';
import { fold } from './text-fold.ts';

/**
 * What the chat model wrote, turned into leads we are willing to send: numbered, at most five,
 * none suggesting to defeat a protection, none giving a meaning to an error code that no note
 * given to the model explains. A dropped lead is dropped whole: a "check" without its "cause"
 * (or the reverse) is worse than nothing.
 */

export interface Lead {
  /** The lead's lines without the number: `Cause : …`, `Vérifier : …`. */
  readonly lines: readonly string[];
}

export type DropReason = 'bypass' | 'unknown-code';

export interface ScreenedLeads {
  readonly kept: readonly Lead[];
  readonly dropped: readonly { readonly lead: Lead; readonly reason: DropReason }[];
}

export const MAX_LEADS = 5;
/** The numbered line and its check; a third line is tolerated, chatter beyond it is not. */
const MAX_LINES_PER_LEAD = 3;

/** `1. `, `2) `, `**3.** `, `Piste 4 : `; not `1.5 bar` (a separator must be followed by a space). */
const NUMBERED = /^\s*(?:[*_#>\s]*)(?:piste\s*)?(\d{1,2})\s*[.):-](?:\*\*)?\s+(.*)$/iu;

/** The numbered leads of a model's answer; text before the first number is preamble, dropped. */
export function parseLeads(text: string, options: { truncated?: boolean } = {}): Lead[] {
  const leads: string[][] = [];
  for (const raw of text.replace(/\r\n?/gu, '\n').split('\n')) {
    const line = clean(raw);
    const numbered = NUMBERED.exec(raw);
    if (numbered && clean(numbered[2]!) !== '') leads.push([clean(numbered[2]!)]);
    else if (line !== '' && leads.length > 0 && leads.at(-1)!.length < MAX_LINES_PER_LEAD) {
      leads.at(-1)!.push(line);
    }
  }
  if (leads.length === 0) {
    // The model ignored the format: each paragraph becomes a lead rather than losing everything.
    for (const paragraph of text.split(/\n\s*\n/u)) {
      const lines = paragraph
        .split('\n')
        .map(clean)
        .filter((line) => line !== '');
      if (lines.length > 0) leads.push(lines.slice(0, MAX_LINES_PER_LEAD));
    }
  }
  // Cut by num_predict: the last lead is the one being written, probably half a sentence.
  if (options.truncated === true && leads.length > 1) leads.pop();
  return leads.map((lines) => ({ lines }));
}

/**
 * Keeps the leads that pass both checks, in order, at most `MAX_LEADS`. `knownCodes` are the codes
 * the notes given to the model explain; `questionCodes` the ones the technician wrote.
 */
export function screenLeads(
  leads: readonly Lead[],
  knownCodes: ReadonlySet<string>,
  questionCodes: ReadonlySet<string>,
): ScreenedLeads {
  const kept: Lead[] = [];
  const dropped: { lead: Lead; reason: DropReason }[] = [];
  for (const lead of leads) {
    const reason = dropReason(lead, knownCodes, questionCodes);
    if (reason) dropped.push({ lead, reason });
    else if (kept.length < MAX_LEADS) kept.push(lead);
  }
  return { kept, dropped };
}

/** `1. Cause : …` / `   Vérifier : …`, numbered again after drops. */
export function renderLeads(leads: readonly Lead[]): string[] {
  return leads.flatMap((lead, index) =>
    lead.lines.map((line, lineIndex) => (lineIndex === 0 ? `${index + 1}. ${line}` : `   ${line}`)),
  );
}

function dropReason(
  lead: Lead,
  knownCodes: ReadonlySet<string>,
  questionCodes: ReadonlySet<string>,
): DropReason | undefined {
  if (lead.lines.some(suggestsBypass)) return 'bypass';
  for (const line of lead.lines) {
    const unknown = [...mentionedCodes(line, questionCodes)].filter((code) => !knownCodes.has(code));
    if (unknown.length > 0 && !admitsNotKnowing(line)) return 'unknown-code';
  }
  return undefined;
}

/** A line that says the code is not documented here is honest, not an invented meaning. */
function admitsNotKnowing(line: string): boolean {
  return /pas dans (?:nos|les) notes|ne figure pas|absent des notes|non documente|pas documente|inconnu|(?:documentation|doc|notice|manuel|support|hotline|assistance)\s+(?:technique\s+)?(?:du |de |d')?(?:fabricant|constructeur)/u.test(
    fold(line),
  );
}

/** Markdown the model may add anyway (`**Cause**`, `- `), and surrounding spaces. */
function clean(line: string): string {
  return line
    .replace(/\*\*|__|`/gu, '')
    .replace(/^\s*(?:[-*•]\s+|#+\s+)/u, '')
    .trim();
}
