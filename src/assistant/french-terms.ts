import { fold } from './text-fold.ts';

/**
 * Search terms of French text as technicians type it on a phone: no accents, singular and plural
 * alike, a few SMS abbreviations spelt out, function words dropped. Used the same way for the
 * notes and the questions, so `Démarre` meets `demarrer` and `bornes` meets `borne`.
 */

const STOP_WORDS = new Set(
  (
    'a à au aux avec ce ces cet cette d dans de des du elle en est et il ils je j l la le les leur ' +
    'leurs lui ma me mes moi mon n ne nous on ou où par pas pour qu que qui quoi s sa se ses si son ' +
    'sont sur t ta te tes toi ton tu un une vos votre vous y ça ca c est etait avoir etre fait'
  ).split(' '),
);

/** Abbreviations of SMS French that carry meaning (`pb`), or that would otherwise look like codes. */
const SMS_WORDS: Record<string, string> = {
  pb: 'probleme',
  pbs: 'probleme',
  prob: 'probleme',
  pbm: 'probleme',
  qd: 'quand',
  ds: 'dans',
  ss: 'sous',
  ts: 'tous',
  tt: 'tout',
  tjs: 'toujours',
  tjrs: 'toujours',
  bcp: 'beaucoup',
  prod: 'production',
  elec: 'electrique',
};

/** One folded word to its search term, or undefined for a word that says nothing. */
export function searchTerm(word: string): string | undefined {
  const folded = fold(word);
  const spelt = SMS_WORDS[folded] ?? folded;
  if (STOP_WORDS.has(spelt)) return undefined;
  if (/\d/u.test(spelt)) return spelt;
  if (spelt.length < 2) return undefined;
  return stem(spelt);
}

/** The search terms of a text, in order, repeats kept (term frequency matters to BM25). */
export function searchTerms(text: string): string[] {
  return (fold(text).match(/[\p{L}\p{N}]+/gu) ?? []).flatMap((word) => searchTerm(word) ?? []);
}

/**
 * A light French stemmer in the spirit of Savoy's "light" stemmers
 * (https://members.unine.ch/jacques.savoy/clef/frenchStemmerPlus.txt): plural `s`/`x`, then the
 * verb endings `ent` and `er` or the final `e`, so that `charge`, `charges`, `charger`, `chargé`
 * and `chargent` meet.
 * Aggressive stemming would merge words a technician keeps apart (`onde`, `onduleur`).
 */
function stem(word: string): string {
  let term = word;
  if (term.length > 3 && /[sx]$/u.test(term)) term = term.slice(0, -1);
  if (term.length > 6 && term.endsWith('ent')) term = term.slice(0, -3);
  else if (term.length > 5 && term.endsWith('er')) term = term.slice(0, -2);
  else if (term.length > 4 && term.endsWith('e')) term = term.slice(0, -1);
  return term;
}
