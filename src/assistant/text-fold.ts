/**
 * Lower case without accents, with straight apostrophes: technicians type `defaut`, `Défaut` or
 * `DÉFAUT` alike, and phones turn `l'` into `l’`; matches must not depend on either.
 */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[’‘`´]/gu, "'")
    .toLowerCase();
}

/** Folded words (letters and digits), in order. */
export function words(text: string): string[] {
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** `## Débit d'eau faible` → `debit-d-eau-faible`: stable ids for note sections. */
export function slugify(text: string): string {
  return words(text).join('-') || 'section';
}
