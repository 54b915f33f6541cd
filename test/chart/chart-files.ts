import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * The chart's files, and a skeleton of each template good enough to check it without Helm (no
 * `helm` binary is reachable): template actions become placeholders, control blocks keep one
 * chosen branch, so the rest must still be YAML.
 */

export const CHART_DIR = new URL('../../chart/', import.meta.url);
export const TEMPLATES_DIR = new URL('templates/', CHART_DIR);

export const readChartFile = (path: string) => readFileSync(new URL(path, CHART_DIR), 'utf8');

export const valuesText = readChartFile('values.yaml');
export const values = parse(valuesText) as Record<string, unknown>;
export const valuesSchema = JSON.parse(readChartFile('values.schema.json')) as Record<string, unknown>;

/** Every file under templates/, name → text (the Prettier config there is no template). */
export const templates: ReadonlyMap<string, string> = new Map(
  readdirSync(TEMPLATES_DIR)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => [name, readFileSync(new URL(name, TEMPLATES_DIR), 'utf8')]),
);

/** The templates that render to Kubernetes manifests (not helpers, not NOTES.txt). */
export const manifestTemplates = [...templates.keys()].filter((name) => name.endsWith('.yaml'));

export function template(name: string): string {
  const text = templates.get(name);
  if (text === undefined) throw new Error(`chart/templates/${name} is missing`);
  return text;
}

/** The value at a dotted path of values.yaml; `undefined` when a step is missing. */
export function valueAt(path: readonly string[], root: unknown = values): unknown {
  let node = root;
  for (const step of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Template skeletons

interface Action {
  readonly body: string;
  readonly trimLeft: boolean;
  readonly trimRight: boolean;
}
type Token = { readonly text: string } | { readonly action: Action };

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'output'; readonly body: string }
  | { readonly kind: 'assign'; readonly name: string; readonly expression: string }
  | {
      readonly kind: 'block';
      readonly keyword: string;
      readonly condition: string;
      readonly branches: Node[][];
    };

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
const BLOCK_OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);

/** Text and actions, with `{{-` and `-}}` already applied to the text around them. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const match of source.matchAll(ACTION)) {
    tokens.push({ text: source.slice(last, match.index) });
    tokens.push({ action: { body: match[2]!, trimLeft: match[1] === '-', trimRight: match[3] === '-' } });
    last = match.index + match[0].length;
  }
  tokens.push({ text: source.slice(last) });
  tokens.forEach((token, index) => {
    if (!('action' in token)) return;
    const before = tokens[index - 1];
    const after = tokens[index + 1];
    if (token.action.trimLeft && before && 'text' in before)
      tokens[index - 1] = { text: before.text.trimEnd() };
    if (token.action.trimRight && after && 'text' in after)
      tokens[index + 1] = { text: after.text.trimStart() };
  });
  return tokens;
}

const firstWord = (body: string) => /^[a-z]+/.exec(body)?.[0] ?? '';

/** The action tree: blocks hold their branches (`else` starts a new one). */
function parseTree(tokens: readonly Token[]): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { kind: 'block' }>; current: Node[] }[] = [];
  const current = () => stack.at(-1)?.current ?? root;
  for (const token of tokens) {
    if ('text' in token) {
      current().push({ kind: 'text', text: token.text });
      continue;
    }
    const { body } = token.action;
    const word = firstWord(body);
    if (body.startsWith('/*')) continue;
    if (BLOCK_OPENERS.has(word)) {
      const condition = body.slice(word.length).trim();
      const node: Extract<Node, { kind: 'block' }> = {
        kind: 'block',
        keyword: word,
        condition,
        branches: [[]],
      };
      current().push(node);
      stack.push({ node, current: node.branches[0]! });
    } else if (word === 'else') {
      const open = stack.at(-1);
      if (!open) throw new Error(`{{ ${body} }} outside a block`);
      open.current = [];
      open.node.branches.push(open.current);
    } else if (word === 'end') {
      if (!stack.pop()) throw new Error('{{ end }} without a block');
    } else {
      const assignment = /^(\$[A-Za-z0-9_]+)\s*:?=\s*([\s\S]+)$/.exec(body);
      if (assignment) current().push({ kind: 'assign', name: assignment[1]!, expression: assignment[2]! });
      else current().push({ kind: 'output', body });
    }
  }
  if (stack.length > 0) throw new Error(`{{ ${stack.at(-1)!.node.keyword} }} without {{ end }}`);
  return root;
}

/** `{{ define }}` bodies of a helpers file, name → nodes. */
function definitions(nodes: readonly Node[], source: string): Map<string, Node[]> {
  const defined = new Map<string, Node[]>();
  const names = [...source.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((match) => match[1]!);
  const defines = nodes.filter((node) => node.kind === 'block' && node.keyword === 'define');
  defines.forEach((node, index) => defined.set(names[index]!, (node as { branches: Node[][] }).branches[0]!));
  return defined;
}

const helpersSource = templates.get('_helpers.tpl') ?? '';
const helpers = definitions(parseTree(tokenize(helpersSource)), helpersSource);

/** The text of a helper's `{{ define }}` body, as written, without its closing `{{ end }}`. */
export function helperBody(name: string): string {
  const start = new RegExp(`\\{\\{-?\\s*define\\s+"${name.replaceAll('.', '\\.')}"\\s*-?\\}\\}`).exec(
    helpersSource,
  );
  if (!start) throw new Error(`_helpers.tpl defines no ${name}`);
  const rest = helpersSource.slice(start.index + start[0].length);
  const next = /\{\{-?\s*(define\b|\/\*)/.exec(rest);
  return rest
    .slice(0, next?.index)
    .trim()
    .replace(/\{\{-?\s*end\s*-?\}\}$/, '')
    .trim();
}

/** Whether a list of nodes can print anything (`fail` prints nothing: it stops the render). */
function printsSomething(nodes: readonly Node[]): boolean {
  return nodes.some((node) => {
    if (node.kind === 'text') return node.text.trim() !== '';
    if (node.kind === 'output') return outputPrints(node.body);
    if (node.kind === 'block') return node.branches.some(printsSomething);
    return false;
  });
}

function outputPrints(body: string): boolean {
  if (firstWord(body) === 'fail') return false;
  const included = /^include\s+"([^"]+)"/.exec(body)?.[1];
  const helper = included === undefined ? undefined : helpers.get(included);
  return helper === undefined || printsSomething(helper);
}

export interface SkeletonOptions {
  /** Which branch every `if`/`with` takes: the first (conditions true) or the next (false). */
  readonly branch: 'first' | 'second';
  /** Whether `range` bodies appear once (a one-item list) or not at all (an empty list). */
  readonly ranges: 'once' | 'none';
  /**
   * Conditions whose truth is fixed whatever `branch` says, e.g. `include "etm-terrain.sqlite" .`
   * (then `not (include "etm-terrain.sqlite" .)` is false), so that a variant is consistent.
   */
  readonly assume?: Readonly<Record<string, boolean>>;
  /**
   * Text for an output action instead of a placeholder. A lone variable (`{{ $x }}`) comes as
   * what was assigned to it; `variables` holds every assignment seen so far.
   */
  readonly resolve?: (expression: string, variables: ReadonlyMap<string, string>) => string | undefined;
}

export interface Skeleton {
  readonly text: string;
  /** Placeholder → the action (variables resolved) it stands for. */
  readonly placeholders: ReadonlyMap<string, string>;
}

const NINDENT = /\|\s*nindent\s+(\d+)\s*$/;
const BLOCK_MARK = '\u0000';

/** The template with actions as placeholders and one branch per block, for YAML checks. */
export function skeleton(source: string, options: SkeletonOptions): Skeleton {
  const placeholders = new Map<string, string>();
  const variables = new Map<string, string>();
  const render = (nodes: readonly Node[]): string =>
    nodes
      .map((node) => {
        if (node.kind === 'text') return node.text;
        if (node.kind === 'assign') {
          variables.set(node.name, node.expression);
          return '';
        }
        if (node.kind === 'block') return render(chosenBranch(node, options));
        if (!outputPrints(node.body)) return '';
        const expression = variables.get(node.body) ?? node.body;
        const resolved = options.resolve?.(expression, variables);
        if (resolved !== undefined) return resolved;
        const name = `__tpl${placeholders.size}__`;
        placeholders.set(name, expression);
        const indent = NINDENT.exec(expression)?.[1];
        return indent === undefined ? name : `\n${' '.repeat(Number(indent))}${BLOCK_MARK}${name}`;
      })
      .join('');
  const text = shapeBlockPlaceholders(render(parseTree(tokenize(source))));
  return { text, placeholders };
}

function chosenBranch(node: Extract<Node, { kind: 'block' }>, options: SkeletonOptions): Node[] {
  if (node.keyword === 'define') return [];
  if (node.keyword === 'range')
    return options.ranges === 'once' ? node.branches[0]! : (node.branches[1] ?? []);
  const assumed = assumption(node.condition, options.assume ?? {});
  const first = assumed ?? options.branch === 'first';
  return first ? node.branches[0]! : (node.branches[1] ?? []);
}

function assumption(condition: string, assume: Readonly<Record<string, boolean>>): boolean | undefined {
  if (condition in assume) return assume[condition];
  const negated = /^not \(?(.+?)\)?$/.exec(condition)?.[1];
  if (negated !== undefined && negated in assume) return !assume[negated];
  return undefined;
}

/**
 * A `… | nindent N` action prints a YAML block at column N: a mapping entry, or a list item
 * when its siblings at that column are list items.
 */
function shapeBlockPlaceholders(text: string): string {
  const lines = text.split('\n');
  const indentOf = (line: string) => line.length - line.trimStart().length;
  return lines
    .map((line, index) => {
      const mark = line.indexOf(BLOCK_MARK);
      if (mark < 0) return line;
      const name = line.slice(mark + 1);
      const column = indentOf(line);
      const sibling = siblings(lines, index, column).find((other) => !other.includes(BLOCK_MARK));
      const isListItem = sibling?.trimStart().startsWith('- ') ?? false;
      return ' '.repeat(column) + (isListItem ? `- ${name}` : `${name}: ${name}`);
    })
    .join('\n');

  function siblings(all: readonly string[], index: number, column: number): string[] {
    const found: string[] = [];
    for (const step of [-1, 1]) {
      for (let at = index + step; at >= 0 && at < all.length; at += step) {
        const line = all[at]!;
        if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
        if (indentOf(line) < column) break;
        if (indentOf(line) === column) found.push(line);
      }
    }
    return found;
  }
}

/** The `.Values.a.b` paths an expression or template reads, as step lists. */
export function valuesPaths(text: string): string[][] {
  return [...text.matchAll(/\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((match) =>
    match[1]!.slice(1).split('.'),
  );
}
