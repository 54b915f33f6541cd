import MiniSearch from 'minisearch';
import { searchTerm } from './french-terms.ts';
import type { KnowledgeUnit } from './knowledge-units.ts';

/**
 * BM25 over what a technician's report shares with a known fix (its title, metadata and
 * symptoms, never the procedure), with French-aware terms: it needs no model, so known fixes are
 * still found while Ollama is down, and it is exact on the brand and code words that dense
 * embeddings blur (https://lucaong.github.io/minisearch/).
 */

interface LexicalDocument {
  readonly id: string;
  readonly title: string;
  readonly metadata: string;
  readonly symptoms: string;
}

/**
 * BM25 scores are unbounded and grow with the number of words matched: `score / (score +
 * HALF_SCORE)` maps them to [0, 1), 0.5 at this score (a report sharing three or four rare words
 * with a note). Chosen from the calibration run, see calibration/README.md.
 */
const HALF_SCORE = 40;

export class LexicalIndex {
  private readonly search: MiniSearch<LexicalDocument>;

  constructor(units: readonly KnowledgeUnit[]) {
    this.search = new MiniSearch<LexicalDocument>({
      fields: ['title', 'metadata', 'symptoms'],
      processTerm: (term) => searchTerm(term) ?? null,
      searchOptions: {
        // The title and the metadata name the equipment, brand and codes: worth more than prose.
        boost: { title: 2, metadata: 2, symptoms: 1 },
        // Misspelt brands (`Fronuis`, `Huawai`): one or two letters off, on words long enough.
        fuzzy: (term) => (term.length >= 5 && !/\d/u.test(term) ? 0.3 : false),
        combineWith: 'OR',
      },
    });
    this.search.addAll(units.map(lexicalDocument));
  }

  /** Unit id → relevance in [0, 1); units sharing no term with the question are absent. */
  scores(question: string): Map<string, number> {
    const results = this.search.search(question);
    return new Map(results.map((result) => [String(result.id), result.score / (result.score + HALF_SCORE)]));
  }
}

function lexicalDocument(unit: KnowledgeUnit): LexicalDocument {
  return {
    id: unit.id,
    title: unit.title,
    // Codes in their canonical form too (`E12` for `E-12`): technicians type both.
    metadata: [unit.equipment ?? '', ...unit.brands, ...unit.codes].join(' '),
    symptoms: unit.symptoms,
  };
}
