/**
 * Trimming a set of characters from the ends of a text, in time linear in the text.
 *
 * A regex such as /[,;]+$/ or /[\s.]+$/ is quadratic: the engine starts a match at every character
 * of a long run, reads the run to its end, fails on the character after it, and starts again one
 * character later (https://v8.dev/blog/non-backtracking-regexp). A backwards loop reads each
 * character once.
 */

/** `text` without the characters at its end for which `isTrimmed` holds (one UTF-16 unit each). */
export function trimEndWhere(text: string, isTrimmed: (char: string) => boolean): string {
  let end = text.length;
  while (end > 0 && isTrimmed(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

/** `text` without the characters at either end for which `isTrimmed` holds. */
export function trimEdgesWhere(text: string, isTrimmed: (char: string) => boolean): string {
  let start = 0;
  while (start < text.length && isTrimmed(text.charAt(start))) start += 1;
  return trimEndWhere(text.slice(start), isTrimmed);
}
