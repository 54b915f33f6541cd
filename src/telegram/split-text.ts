/**
 * Telegram counts text in UTF-16 code units, like `String.length`: 1-4096 for a message, 0-1024 for a
 * caption (https://core.telegram.org/bots/api#sendmessage, #sendphoto).
 */
export const MESSAGE_MAX_LENGTH = 4096;
export const CAPTION_MAX_LENGTH = 1024;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Splits `text` into pieces of at most `maxLength` code units: after the last line break that
 * fits, else at the last space that fits, else at the last character boundary that fits (never
 * inside an emoji). The separator at a cut is dropped; the rest of the text is kept as it is.
 * Returns [] for an empty text, and [text] when it already fits.
 */
export function splitText(text: string, maxLength: number = MESSAGE_MAX_LENGTH): string[] {
  if (!Number.isSafeInteger(maxLength) || maxLength < 2) throw new RangeError('maxLength must be at least 2');
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > maxLength) {
    const { end, next } = findCut(text, start, maxLength);
    const piece = text.slice(start, end);
    if (piece.trim().length > 0) pieces.push(piece);
    start = next;
  }
  const rest = text.slice(start);
  if (rest.length > 0 && (rest.trim().length > 0 || pieces.length === 0)) pieces.push(rest);
  return pieces;
}

interface Cut {
  /** The piece is text[start, end). */
  readonly end: number;
  /** The next piece starts here (after the dropped separator). */
  readonly next: number;
}

function findCut(text: string, start: number, maxLength: number): Cut {
  const limit = start + maxLength;
  return cutAtLineBreak(text, start, limit) ?? cutAtSpace(text, start, limit) ?? hardCut(text, start, limit);
}

function cutAtLineBreak(text: string, start: number, limit: number): Cut | undefined {
  // Not text.lastIndexOf('\n', limit): without a line break it reads back to the text's first
  // character at every cut, quadratic on a long text without line breaks.
  let lineBreak = limit;
  while (lineBreak > start && text[lineBreak] !== '\n') lineBreak -= 1;
  if (lineBreak <= start) return undefined;
  let end = lineBreak;
  while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end -= 1;
  let next = lineBreak + 1;
  // Blank lines at the cut would only start the next message with empty lines.
  while (text[next] === '\n' || (text[next] === '\r' && text[next + 1] === '\n')) next += 1;
  return end > start ? { end, next } : undefined;
}

function cutAtSpace(text: string, start: number, limit: number): Cut | undefined {
  let space = limit;
  while (space > start && !isSpace(text[space])) space -= 1;
  if (space <= start) return undefined;
  let end = space;
  while (end > start && isSpace(text[end - 1])) end -= 1;
  let next = space + 1;
  while (isSpace(text[next])) next += 1;
  return end > start ? { end, next } : undefined;
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

/**
 * The last grapheme boundary that fits; inside a giant grapheme, the last code point boundary.
 * Only the piece being cut (and the code point after it, which decides whether `limit` is a
 * boundary) is segmented: segmenting the whole text at every cut is quadratic. `start` is a
 * boundary of an earlier cut, so the grapheme rules, which look back at most to the grapheme's
 * start, see the same context.
 */
function hardCut(text: string, start: number, limit: number): Cut {
  const window = text.slice(start, limit + 2);
  const boundary = start + (graphemes.segment(window).containing(limit - start)?.index ?? limit - start);
  let end = boundary;
  if (end <= start) end = isLowSurrogate(text.charCodeAt(limit)) ? limit - 1 : limit;
  return { end, next: end };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
