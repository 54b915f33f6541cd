import { readFileSync } from 'node:fs';
// ajv comes with fastify (8.x, hoisted); Helm checks values.schema.json as JSON Schema draft-07.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { values, valuesSchema } from './chart-files.ts';

/**
 * values.schema.json is what Helm checks every install and upgrade against: values.yaml must
 * pass, and the mistakes an admin is likely to make must not.
 */

const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(valuesSchema);

/** values.yaml with the value at `path` replaced (or added). */
function valuesWith(path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(values);
  let node: Record<string, unknown> = copy;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

const errorsOf = (candidate: unknown) =>
  validate(candidate) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);

/** The values of docs/cluster-admin.md's example, merged over values.yaml as Helm merges -f files. */
function documentedExample(): Record<string, unknown> {
  const doc = readFileSync(new URL('../../docs/cluster-admin.md', import.meta.url), 'utf8');
  const block = /<!-- example-values -->\s*```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error('docs/cluster-admin.md has no example values block');
  return merge(values, parse(block));
}

function merge(base: unknown, override: unknown): Record<string, unknown> {
  const isMap = (node: unknown): node is Record<string, unknown> =>
    node !== null && typeof node === 'object' && !Array.isArray(node);
  if (!isMap(base) || !isMap(override)) return override as Record<string, unknown>;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) result[key] = merge(base[key], value);
  return result;
}

const A_BOT = {
  slug: 'etm-terrain',
  groups: { chantier: '-1001111111111', sav: -1002222222222, magasin: '' },
  allowedUsers: ['111111111', 222222222],
};

describe('values.schema.json', () => {
  it('is draft-07, the draft every Helm 3 checks', () => {
    expect(valuesSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('accepts values.yaml as shipped', () => {
    expect(errorsOf(values)).toEqual([]);
  });

  it('accepts the example of docs/cluster-admin.md', () => {
    expect(errorsOf(documentedExample())).toEqual([]);
  });

  it('accepts the assistant on with the URL of an Ollama', () => {
    const ollama = {
      ...(values.config as { ollama: object }).ollama,
      assistantEnabled: true,
      url: 'http://ollama:11434',
    };
    expect(errorsOf(valuesWith(['config', 'ollama'], ollama))).toEqual([]);
  });

  it('accepts bots with chat and user ids written as strings or numbers', () => {
    expect(errorsOf(valuesWith(['bots'], [A_BOT, { slug: 'second-bot', tokenKey: 'token-2' }]))).toEqual([]);
  });

  it.each<[string, string[], unknown]>([
    ['a misspelt setting', ['config', 'logLevle'], 'debug'],
    ['an unknown log level', ['config', 'logLevel'], 'verbose'],
    ['a slug in capitals', ['bots'], [{ ...A_BOT, slug: 'ETM' }]],
    ['a bot without slug', ['bots'], [{ groups: {} }]],
    ['a chat id that is not one', ['bots'], [{ ...A_BOT, groups: { sav: '-1e12' } }]],
    ['a user id that is not one', ['bots'], [{ ...A_BOT, allowedUsers: ['@bob'] }]],
    ['a Nextcloud URL without scheme', ['config', 'nextcloud', 'url'], 'cloud.example'],
    ['a worker concurrency of 0', ['config', 'worker', 'concurrency'], 0],
    ['a setting as a string where a number goes', ['config', 'albumQuietMs'], '2500'],
    ['a database engine the chart does not know', ['database', 'engine'], 'mysql'],
    ['an SQLite file outside /data', ['database', 'sqliteFile'], '../etc/x.db'],
    ['a writable root filesystem', ['securityContext', 'readOnlyRootFilesystem'], false],
    ['privilege escalation', ['securityContext', 'allowPrivilegeEscalation'], true],
    ['capabilities kept', ['securityContext', 'capabilities', 'drop'], []],
    ['running as root', ['podSecurityContext', 'runAsUser'], 0],
    ['a secret key with a slash', ['secret', 'data'], { 'a/b': 'x' }],
    ['an empty secret value', ['secret', 'data'], { ADMIN_TOKEN: '' }],
    ['a remote without ports', ['networkPolicy', 'egress', 'ollama', 'ports'], []],
    ['a CIDR that is a host name', ['networkPolicy', 'egress', 'nextcloud', 'cidrs'], ['cloud']],
    ['no DNS peer', ['networkPolicy', 'egress', 'dns', 'peers'], []],
    ['the assistant on without an Ollama URL', ['config', 'ollama', 'assistantEnabled'], true],
  ])('refuses %s', (_name, path, value) => {
    expect(errorsOf(valuesWith(path, value))).not.toEqual([]);
  });
});
