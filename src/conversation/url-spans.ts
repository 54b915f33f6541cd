/**
 * Where the URLs of a line are: `scheme://` up to the next whitespace, the scheme being
 * `[a-z][a-z0-9+.-]*` in any case (RFC 3986 §3.1, https://www.rfc-editor.org/rfc/rfc3986#section-3.1).
 *
 * Scanned by hand in one pass, because the equivalent regex `[a-z][a-z0-9+.-]*:\/\/\S*` (flags `giu`)
 * retries its scheme from every letter of a long word: quadratic on `aaaa…` without `://`.
 */

export interface Span {
  /** The URL is line[start, end). */
  readonly start: number;
  readonly end: number;
}

const SCHEME_START = /^[a-z]$/iu;
const SCHEME_CHARACTER = /^[a-z0-9+.-]$/iu;
const NON_SPACE_RUN = /\S*/uy;

/** The URLs of `line`, left to right, not overlapping, as the regex above would find them. */
export function findUrls(line: string): Span[] {
  const urls: Span[] = [];
  let from = 0;
  for (let colon = line.indexOf('://'); colon >= 0; colon = line.indexOf('://', from)) {
    const start = schemeStart(line, from, colon);
    if (start < 0) {
      from = colon + 1;
      continue;
    }
    NON_SPACE_RUN.lastIndex = colon;
    NON_SPACE_RUN.exec(line);
    urls.push({ start, end: NON_SPACE_RUN.lastIndex });
    from = NON_SPACE_RUN.lastIndex;
  }
  return urls;
}

/**
 * The leftmost letter from which scheme characters reach `colon`, not before `from`; -1 if none.
 * The backwards read stops at the previous `://` (a `:` is no scheme character), so each character
 * is read a bounded number of times over the whole line.
 */
function schemeStart(line: string, from: number, colon: number): number {
  let runStart = colon;
  while (runStart > from && SCHEME_CHARACTER.test(line.charAt(runStart - 1))) runStart -= 1;
  for (let index = runStart; index < colon; index += 1) {
    if (SCHEME_START.test(line.charAt(index))) return index;
  }
  return -1;
}
