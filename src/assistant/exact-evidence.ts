import { codeCandidates } from './error-codes.ts';
import { searchTerm, searchTerms } from './french-terms.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';
import { words } from './text-fold.ts';

/**
 * What a report says exactly that a known fix declares: one of its error codes (`Codes :`), its
 * brands or models (`Marque :`, `Modèle :`), its equipment (`Équipement :`). A code the technician
 * typed, with the brand or equipment when the note names one, is the strongest evidence there is:
 * no similarity score, lexical or dense, is needed to trust it.
 */

export interface Evidence {
  /** Canonical codes of the unit named in the question. */
  readonly codes: readonly string[];
  /** The unit's brands or models named in the question, as the note writes them. */
  readonly brands: readonly string[];
  /** The unit's equipment named in the question (`onduleur`, `PAC` for `pompe à chaleur`). */
  readonly equipment: readonly string[];
  /**
   * `code`: a code of the unit alone; `code+context`: with its brand or equipment (or it names
   * none); `other-maker`: the question names another maker than the one the note names under
   * `Marque :`, whatever else matches.
   */
  readonly strength: 'none' | 'code' | 'code+context' | 'other-maker';
}

/** Acronyms technicians use for an equipment a note spells out: acronym → the note's first word. */
const EQUIPMENT_ACRONYMS: Record<string, string> = {
  pac: 'pompe',
  irve: 'borne',
  wallbox: 'borne',
  ddr: 'disjoncteur',
  hems: 'gestionnaire',
  ecs: 'ballon',
};

/**
 * Makers a technician of a PV / heat pump / charging installer names, whether or not a note
 * mentions them: `SMA erreur 102` must not get Fronius's State 102 because a note declares 102.
 * A maker missing here is only a lost safeguard, never a wrong match.
 */
const MAKERS = [
  'ABB',
  'APsystems',
  'Atlantic',
  'Bosch',
  'BYD',
  'Daikin',
  'De Dietrich',
  'Enphase',
  'Fronius',
  'GoodWe',
  'Growatt',
  'Hager',
  'Hitachi',
  'Hoymiles',
  'Huawei',
  'Kostal',
  'LG',
  'Mitsubishi',
  'Panasonic',
  'Saunier Duval',
  'Schneider',
  'SMA',
  'SolarEdge',
  'Sungrow',
  'Thermor',
  'Toshiba',
  'Vaillant',
  'Victron',
  'Viessmann',
  'Wallbox',
  'Zaptec',
];

/** What the question says, prepared once for every unit. */
export class QuestionEvidence {
  private readonly codes: Set<string>;
  private readonly terms: Set<string>;
  private readonly folded: string;
  /** Brands of any note named in the question: another maker's brand contradicts a code match. */
  private readonly namedBrands: readonly string[];
  /** …except those that are also an equipment's name. */
  private readonly namedMakers: readonly string[];
  /** Brands listed together by some note (`Fronius, Symo, Primo`): one maker, or its models. */
  private readonly sameMaker: Set<string>;

  constructor(question: string, units: readonly KnowledgeUnit[]) {
    this.codes = codeCandidates(question);
    const terms = searchTerms(question);
    const spelt = terms.flatMap((term) => {
      const head = EQUIPMENT_ACRONYMS[term];
      return head === undefined ? [] : (searchTerm(head) ?? []);
    });
    this.terms = new Set([...terms, ...spelt]);
    this.folded = ` ${words(question).join(' ')} `;
    // A brand that is also what notes call the equipment (`wallbox`) names no maker for sure.
    const equipmentWords = new Set(units.flatMap((unit) => words(unit.equipment ?? '')));
    const allBrands = new Set([...MAKERS, ...units.flatMap((unit) => unit.brands)]);
    this.namedBrands = [...allBrands].filter((brand) => this.names(brand));
    this.namedMakers = this.namedBrands.filter((brand) => !equipmentWords.has(words(brand).join(' ')));
    this.sameMaker = new Set(
      units.flatMap((unit) => unit.brands.flatMap((a) => unit.brands.map((b) => `${a}\n${b}`))),
    );
  }

  of(unit: KnowledgeUnit): Evidence {
    const codes = unit.codes.filter((code) => this.codes.has(code));
    const related = (named: string) => unit.brands.some((own) => this.sameMaker.has(`${own}\n${named}`));
    const brands = this.namedBrands.filter(related);
    const equipment = equipmentHeads(unit.equipment).filter((head) => this.terms.has(head.term));
    // Only a unit that names its own maker (`Marque :`) can be another maker's: one that lists
    // models alone (`Modèle : Altherma 3`) says nothing against the maker named.
    const otherBrand = unit.makers.length > 0 && brands.length === 0 && this.namedMakers.length > 0;
    const namesContext = unit.brands.length === 0 && unit.equipment === undefined;
    const strength = otherBrand
      ? 'other-maker'
      : codes.length === 0
        ? 'none'
        : brands.length > 0 || equipment.length > 0 || namesContext
          ? 'code+context'
          : 'code';
    return { codes, brands, equipment: equipment.map((head) => head.word), strength };
  }

  /** A brand or model is named: its words in a row, or one word misspelt by a letter. */
  private names(brand: string): boolean {
    const brandWords = words(brand);
    if (brandWords.length === 0) return false;
    if (this.folded.includes(` ${brandWords.join(' ')} `)) return true;
    const [only] = brandWords;
    return (
      brandWords.length === 1 &&
      only!.length >= 5 &&
      this.folded
        .trim()
        .split(' ')
        .some((word) => oneEditApart(word, only!))
    );
  }
}

/** The label of the evidence for people: `code 567 + Fronius`, `code E12 + pompe`. */
export function evidenceLabel(evidence: Evidence): string | undefined {
  if (evidence.strength !== 'code' && evidence.strength !== 'code+context') return undefined;
  // `E-12` matches both `E12` and `12` when a note lists both: the longer is what was typed.
  const code = [...evidence.codes].sort((a, b) => b.length - a.length)[0]!;
  return [`code ${code}`, ...evidence.brands, ...evidence.equipment].join(' + ');
}

/** Each equipment of `Équipement : onduleur PV, tableau électrique` by its first word. */
function equipmentHeads(equipment: string | undefined): { word: string; term: string }[] {
  if (equipment === undefined) return [];
  return equipment.split(/[,;]/u).flatMap((item) => {
    const word = item.match(/[\p{L}\p{N}]+/gu)?.find((w) => searchTerm(w) !== undefined);
    return word === undefined ? [] : [{ word, term: searchTerm(word)! }];
  });
}

/** Levenshtein distance ≤ 1, or two neighbours swapped (`fronuis`): the usual typing slips. */
function oneEditApart(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  const restA = a.slice(i);
  const restB = b.slice(i);
  return (
    restA.slice(1) === restB.slice(1) ||
    restA.slice(1) === restB ||
    restA === restB.slice(1) ||
    (restA.length >= 2 && restA[0] === restB[1] && restA[1] === restB[0] && restA.slice(2) === restB.slice(2))
  );
}
