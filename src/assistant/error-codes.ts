import { fold } from './text-fold.ts';

/**
 * Error codes as technicians and notes write them: `567`, `State 567`, `E-12`, `e12`, `U4`,
 * `F.28`, `alarme 2062`. Dense embeddings are weak on exact numbers, so codes are
 * matched exactly on top of the vector search, in one canonical form: upper case, no separator,
 * no leading word (`State 567` → `567`, `E-12` → `E12`).
 */

const LEADING_WORD =
  /^(?:state|status|code|erreur|err|defaut|alarme|alarm|message|error|evenement)\s*(?:n°|no|nº|:)?\s*/u;

/** The canonical form of one code as a note's `Codes :` line writes it, or undefined. */
export function canonicalCode(raw: string): string | undefined {
  const code = fold(raw.trim())
    .replace(LEADING_WORD, '')
    .replace(/[\s\-._]/gu, '')
    .toUpperCase();
  return /^[A-Z]{0,3}\d{1,5}$/u.test(code) ? code : undefined;
}

/**
 * Every form in a free text that could be a code: `E-12`, `E.12`, `E12` and `E 12` give `E12`
 * (and `12` for the spaced form); a bare number gives itself. Over-generous on purpose: only
 * codes some note knows are ever used (a `230` from "230 V" matches no note's code).
 */
export function codeCandidates(text: string): Set<string> {
  const candidates = new Set<string>();
  for (const match of text.matchAll(/(?<![\p{L}\p{N}])([A-Za-z]{1,3})([-.]?)(\d{1,5})(?![\p{L}\p{N}])/gu)) {
    candidates.add(`${match[1]!.toUpperCase()}${match[3]!}`);
  }
  for (const match of text.matchAll(/(?<![\p{L}\p{N}])([A-Za-z]{1,3}) (\d{1,5})(?![\p{L}\p{N}])/gu)) {
    candidates.add(`${match[1]!.toUpperCase()}${match[2]!}`);
  }
  for (const match of text.matchAll(/(?<![\p{L}\p{N}.,])(\d{1,5})(?![\p{L}\p{N}]|[.,]\d)/gu)) {
    candidates.add(match[1]!);
  }
  // Typed without a space on a phone: `state567`, `erreur-102`, `alarme2062`.
  for (const match of fold(text).matchAll(GLUED_TO_A_WORD)) {
    const code = canonicalCode(match[1]!);
    if (code !== undefined) candidates.add(code);
  }
  return candidates;
}

const GLUED_TO_A_WORD =
  /(?<![\p{L}\p{N}])(?:state|status|code|erreur|err|defaut|alarme|alarm|error)[-.:]?([a-z]{0,3}[-.]?\d{1,5})(?![\p{L}\p{N}])/gu;

const CODE_CONTEXT =
  /(?<![\p{L}])(?:code|erreur|err|defaut|alarme|alarm|state|status|message|evenement)s?\s*(?:n°|no|nº|:)?\s*([a-z]{0,3}[-.]?\d{1,5})(?![\p{L}\p{N}])/gu;
const HYPHENATED = /(?<![\p{L}\p{N}])([A-Z]{1,3})-(\d{1,5})(?![\p{L}\p{N}])/gu;

/**
 * The codes a sentence talks about as codes: after a word such as `code`, `erreur`, `défaut`,
 * `alarme`, `State`, or hyphenated like `E-12`, plus any of `alsoLookFor` (the question's codes)
 * written in it. Narrower than `codeCandidates` so that "230 V" or "prise T2" are not codes.
 */
export function mentionedCodes(sentence: string, alsoLookFor: Iterable<string> = []): Set<string> {
  const codes = new Set<string>();
  for (const match of fold(sentence).matchAll(CODE_CONTEXT)) {
    const code = canonicalCode(match[1]!);
    if (code !== undefined) codes.add(code);
  }
  for (const match of sentence.matchAll(HYPHENATED)) codes.add(`${match[1]!}${match[2]!}`);
  const candidates = codeCandidates(sentence);
  for (const code of alsoLookFor) if (candidates.has(code)) codes.add(code);
  return codes;
}
