/**
 * How the office searches names typed by technicians: without case and without accents, so
 * `muller`, `Müller` and `MULLER` find the same chantier. Pure.
 */

/** Ligatures NFKD leaves whole, spelled as people type them without the key. */
const LIGATURES: Readonly<Record<string, string>> = { œ: 'oe', æ: 'ae', ß: 'ss' };

export function foldForSearch(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[œæß]/g, (letter) => LIGATURES[letter] ?? letter)
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether `needle` occurs in `haystack`, both folded. An empty needle matches everything. */
export function containsFolded(haystack: string, needle: string): boolean {
  return foldForSearch(haystack).includes(foldForSearch(needle));
}
