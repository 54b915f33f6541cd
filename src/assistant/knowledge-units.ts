import { canonicalCode } from './error-codes.ts';
import { fold, slugify } from './text-fold.ts';

/** One Markdown file of the knowledge base, as a source lists it. */
export interface NoteFile {
  /** Relative to the knowledge folder, `/`-separated: `onduleurs/fronius-567.md`. */
  readonly path: string;
  readonly text: string;
  /**
   * Set when the file was not UTF-8 and was read as windows-1252 (src/text/decode-text.ts): the
   * sync names it, so the office saves it again in UTF-8.
   */
  readonly encoding?: 'windows-1252';
}

/**
 * One known fix: a whole note, or one `##` section of a note that gathers several fixes.
 * See knowledge/README.md for the format.
 */
export interface KnowledgeUnit {
  /** `path` for a whole note, `path#section-slug` for a section: stable across edits of the text. */
  readonly id: string;
  readonly path: string;
  readonly title: string;
  readonly equipment: string | undefined;
  /** Brands and models, as written (`Fronius`, `Symo GEN24`). */
  readonly brands: readonly string[];
  /**
   * Those of `brands` written under `Marque :`: the unit names its maker. Models alone
   * (`Modèle : Altherma 3`) name none, so a question naming a maker never rules the unit out.
   */
  readonly makers: readonly string[];
  /** Canonical error codes (`567`, `E12`, `U4`). */
  readonly codes: readonly string[];
  readonly symptoms: string;
  readonly cause: string;
  /** What the "known fix" answer shows: the `### Solution` part, else the whole text. */
  readonly fix: string;
  /** Everything a reader of the unit would see, for the chat model's context. */
  readonly body: string;
  /** The note's own `Lien :` line, if any; otherwise the assistant builds one from the path. */
  readonly link: string | undefined;
}

interface Metadata {
  equipment?: string;
  brands: string[];
  makers: string[];
  codes: string[];
  keywords: string[];
  link?: string;
}

interface Section {
  readonly heading: string | undefined;
  readonly lines: readonly string[];
}

/** Splits one note into its known fixes: each `##` section if it has some, else the whole note. */
export function splitNote(file: NoteFile): KnowledgeUnit[] {
  // A BOM left by a source that did not decode the bytes itself would hide the `#` title.
  const text = file.text.startsWith('\uFEFF') ? file.text.slice(1) : file.text;
  const lines = text.replace(/\r\n?/gu, '\n').split('\n');
  const titleIndex = lines.findIndex((line) => /^#\s+\S/u.test(line));
  const noteTitle =
    titleIndex >= 0 ? lines[titleIndex]!.replace(/^#\s+/u, '').trim() : titleFromPath(file.path);
  const rest = titleIndex >= 0 ? lines.slice(titleIndex + 1) : lines;
  const [preamble, ...sections] = splitOn(rest, /^##\s+\S/u);
  const noteMetadata = readMetadata(preamble!.lines);
  if (sections.length === 0)
    return [buildUnit(file.path, file.path, noteTitle, noteMetadata, preamble!.lines)];

  const usedIds = new Set<string>();
  return sections.map((section) => {
    const heading = section.heading!;
    const id = uniqueId(`${file.path}#${slugify(heading)}`, usedIds);
    const own = readMetadata(section.lines);
    const metadata: Metadata = {
      equipment: own.equipment ?? noteMetadata.equipment,
      brands: unique([...noteMetadata.brands, ...own.brands]),
      makers: unique([...noteMetadata.makers, ...own.makers]),
      codes: unique([...noteMetadata.codes, ...own.codes]),
      keywords: unique([...noteMetadata.keywords, ...own.keywords]),
      link: own.link ?? noteMetadata.link,
    };
    return buildUnit(id, file.path, `${noteTitle} — ${heading}`, metadata, section.lines);
  });
}

/**
 * What is embedded for a unit: its title, metadata and symptoms, the words a technician's report
 * shares with it, not the procedure.
 */
export function embeddingText(unit: KnowledgeUnit): string {
  const parts = [
    unit.title,
    unit.equipment,
    unit.brands.join(', '),
    unit.codes.length > 0 ? `Codes : ${unit.codes.join(', ')}` : undefined,
    unit.symptoms || unit.body.slice(0, 600),
  ];
  return parts.filter((part) => part !== undefined && part !== '').join('\n');
}

const FIELD_NAMES: Record<string, 'symptoms' | 'cause' | 'fix'> = {
  symptome: 'symptoms',
  symptomes: 'symptoms',
  cause: 'cause',
  causes: 'cause',
  'cause probable': 'cause',
  solution: 'fix',
  solutions: 'fix',
  correctif: 'fix',
  remede: 'fix',
  resolution: 'fix',
  'que faire': 'fix',
};

const METADATA_KEYS: Record<string, keyof Metadata> = {
  equipement: 'equipment',
  materiel: 'equipment',
  marque: 'makers',
  marques: 'makers',
  modele: 'brands',
  modeles: 'brands',
  code: 'codes',
  codes: 'codes',
  'mots-cles': 'keywords',
  'mots cles': 'keywords',
  lien: 'link',
};

function buildUnit(
  id: string,
  path: string,
  title: string,
  metadata: Metadata,
  lines: readonly string[],
): KnowledgeUnit {
  const [intro, ...subsections] = splitOn(lines, /^###\s+\S/u);
  const fields = { symptoms: [] as string[], cause: [] as string[], fix: [] as string[] };
  for (const subsection of subsections) {
    const field =
      FIELD_NAMES[
        fold(subsection.heading!)
          .replace(/[^a-z ]/gu, '')
          .trim()
      ];
    if (field) fields[field].push(prose(subsection.lines));
  }
  const body = [prose(intro!.lines), ...subsections.map((s) => `${s.heading!} :\n${prose(s.lines)}`)]
    .filter((part) => part !== '')
    .join('\n');
  const symptoms = fields.symptoms.join('\n');
  return {
    id,
    path,
    title,
    equipment: metadata.equipment,
    brands: metadata.brands,
    makers: metadata.makers,
    codes: metadata.codes,
    symptoms: [symptoms, metadata.keywords.join(', ')].filter((part) => part !== '').join('\n'),
    cause: fields.cause.join('\n'),
    fix: fields.fix.join('\n') || body,
    body,
    link: metadata.link,
  };
}

/**
 * The text of a part without metadata lines and reader notes (`>`), hard-wrapped lines joined
 * again (Telegram shows every line break), list items and paragraphs kept one per line.
 */
function prose(lines: readonly string[]): string {
  const out: string[] = [];
  let joinNext = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || isMetadata(raw) || line.startsWith('>')) {
      joinNext = false;
      continue;
    }
    if (joinNext && !LIST_ITEM.test(line)) out.push(`${out.pop()!} ${line}`);
    else out.push(line);
    joinNext = true;
  }
  return out.join('\n');
}

const LIST_ITEM = /^(?:\d{1,2}[.)]|[-*•])\s/u;

function readMetadata(lines: readonly string[]): Metadata {
  const metadata: Metadata = { brands: [], makers: [], codes: [], keywords: [] };
  // Only lines before the first `###`: a "Cause : …" inside a subsection is prose.
  for (const line of lines) {
    if (/^###\s/u.test(line)) break;
    const entry = metadataEntry(line);
    if (!entry) continue;
    const [key, value] = entry;
    if (key === 'equipment') metadata.equipment = value;
    else if (key === 'link') metadata.link = value;
    else if (key === 'codes')
      metadata.codes.push(...list(value).flatMap((code) => canonicalCode(code) ?? []));
    else if (key === 'makers') {
      // A maker is one of the brands too, in the order the lines come.
      metadata.makers.push(...list(value));
      metadata.brands.push(...list(value));
    } else metadata[key].push(...list(value));
  }
  metadata.codes = unique(metadata.codes);
  metadata.makers = unique(metadata.makers);
  return metadata;
}

function isMetadata(line: string): boolean {
  return metadataEntry(line) !== undefined;
}

/** Markdown's bold and italic marks, the longer first. */
const EMPHASIS = ['**', '__', '*', '_'] as const;
const KEY = /^[\p{L}\p{M}' -]+$/u;

/**
 * `Clé : valeur`, maybe after a list marker, the key maybe bold or italic with the colon inside
 * the marks or outside (`**Codes** : 567`, `**Codes :** 567`). Read by hand, not with one regex:
 * the spaces a key may hold, those around the colon and the marks overlap, and such a regex
 * backtracks in time quadratic in a long line (src/text/trim-edges.ts); here each character is
 * read a bounded number of times.
 */
function metadataEntry(line: string): [keyof Metadata, string] | undefined {
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  let key = line.slice(0, colon).trim();
  // A list item: `- Codes`, `* Codes` (a `*` before a letter opens an emphasis instead).
  if (key.startsWith('-') || /^[*+]\s/u.test(key)) key = key.slice(1).trimStart();
  const mark = EMPHASIS.find((m) => key.startsWith(m));
  let open = false;
  if (mark !== undefined) {
    key = key.slice(mark.length);
    open = !key.endsWith(mark);
    if (!open) key = key.slice(0, -mark.length);
    key = key.trim();
  }
  if (!KEY.test(key)) return undefined;
  const field = METADATA_KEYS[fold(key).trim()];
  if (!field) return undefined;
  let value = line.slice(colon + 1).trim();
  // The mark closed after the colon: `**Codes :** 567`.
  if (open && value.startsWith(mark!)) value = value.slice(mark!.length).trimStart();
  return value === '' ? undefined : [field, value];
}

/** Cuts lines into parts at each line matching `heading`; the first part has no heading. */
function splitOn(lines: readonly string[], heading: RegExp): Section[] {
  const sections: { heading: string | undefined; lines: string[] }[] = [{ heading: undefined, lines: [] }];
  for (const line of lines) {
    if (heading.test(line)) sections.push({ heading: line.replace(/^#+\s+/u, '').trim(), lines: [] });
    else sections.at(-1)!.lines.push(line);
  }
  return sections;
}

function list(value: string): string[] {
  return value
    .split(/[,;]/u)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function uniqueId(id: string, used: Set<string>): string {
  let candidate = id;
  for (let n = 2; used.has(candidate); n += 1) candidate = `${id}-${n}`;
  used.add(candidate);
  return candidate;
}

function titleFromPath(path: string): string {
  return (path.split('/').at(-1) ?? path).replace(/\.md$/iu, '').replace(/[-_]+/gu, ' ');
}
