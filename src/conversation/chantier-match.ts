import { sameClient } from '../nextcloud/names.ts';
import { words } from '../assistant/text-fold.ts';

/**
 * Which known chantier a typed name designates. Known names come from the folders already in
 * Nextcloud and from earlier reports (a cache the dispatcher reads from the database: never a
 * network call while a technician waits).
 */

/** The known spelling of the same chantier (`muller` → `Müller`), or undefined for a new name. */
export function canonicalChantier(typed: string, known: readonly string[]): string | undefined {
  return known.find((name) => sameClient(name, typed));
}

/** Known chantiers that look like the typed name (a shared word, or a typo away): at most `max`. */
export function similarChantiers(typed: string, known: readonly string[], max = 3): string[] {
  const typedWords = words(typed);
  const key = typedWords.join(' ');
  const scored = known.flatMap((name) => {
    const nameWords = words(name);
    const shared = nameWords.filter((w) => w.length > 2 && typedWords.includes(w)).length;
    const close = editDistanceAtMost(nameWords.join(' '), key, 2);
    return shared > 0 || close ? [{ name, score: shared + (close ? 2 : 0) }] : [];
  });
  return scored
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}

/** Levenshtein distance ≤ `limit`, in O(length × limit): names are short, the band keeps it linear. */
function editDistanceAtMost(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      if (Math.abs(i - j) > limit) {
        current[j] = limit + 1;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      best = Math.min(best, current[j]!);
    }
    if (best > limit) return false;
    previous = current;
  }
  return previous[b.length]! <= limit;
}
