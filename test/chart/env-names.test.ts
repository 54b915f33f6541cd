import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { botEnvPrefix, configSchema, loadConfig } from '../../src/config.ts';
import { helperBody, skeleton, type SkeletonOptions, template, valueAt, valuesPaths } from './chart-files.ts';

/**
 * The chart sets exactly the environment the service reads: the names of src/config.ts's schema,
 * the BOT_<SLUG>_ family for each bot, and defaults the service accepts as its own.
 */

const SLUG = 'etm-terrain';
const PREFIX_HELPER = 'include "etm-terrain.botEnvPrefix" .slug';

/** Every name the service reads for one bot `etm-terrain`. */
const configNames = Object.keys(configSchema([SLUG]).properties).sort();

interface EnvSources {
  /** Names from the ConfigMap's data (read with envFrom). */
  readonly configMap: string[];
  /** Names of the container's `env` entries (from the Secret). */
  readonly secretEnv: string[];
}

/** The env names one variant of the templates sets, the bot prefix evaluated for `etm-terrain`. */
function envNames(options: Omit<SkeletonOptions, 'resolve'>): EnvSources {
  const resolve = (expression: string) => (expression === PREFIX_HELPER ? botEnvPrefix(SLUG) : undefined);
  const configMap = parse(skeleton(template('configmap.yaml'), { ...options, resolve }).text) as {
    data: Record<string, string>;
  };
  const deployment = parse(skeleton(template('deployment.yaml'), { ...options, resolve }).text) as {
    spec: { template: { spec: { containers: { env?: { name: string }[]; envFrom: unknown[] }[] } } };
  };
  const [container] = deployment.spec.template.spec.containers;
  return {
    configMap: Object.keys(configMap.data),
    secretEnv: (container!.env ?? []).map((entry) => entry.name),
  };
}

const SQLITE = 'include "etm-terrain.sqlite" .';
const sqlite = envNames({ branch: 'first', ranges: 'once', assume: { [SQLITE]: true } });
const postgres = envNames({ branch: 'first', ranges: 'once', assume: { [SQLITE]: false } });

describe('the environment the chart sets', () => {
  it('is exactly what src/config.ts reads, on SQLite and on PostgreSQL', () => {
    for (const variant of [sqlite, postgres]) {
      expect([...variant.configMap, ...variant.secretEnv].sort()).toEqual(configNames);
    }
  });

  it('sets no name twice', () => {
    for (const variant of [sqlite, postgres]) {
      const all = [...variant.configMap, ...variant.secretEnv];
      expect(all.length).toBe(new Set(all).size);
    }
  });

  it('reads the secrets from the Secret, never from the ConfigMap', () => {
    expect(sqlite.secretEnv.sort()).toEqual([
      'ADMIN_TOKEN',
      `${botEnvPrefix(SLUG)}TOKEN`,
      'NEXTCLOUD_PASSWORD',
    ]);
    expect(postgres.secretEnv).toContain('DATABASE_URL');
    expect(sqlite.configMap).toContain('DATABASE_URL');
  });

  it('derives BOT_<SLUG>_ as the service does: slug upper-cased, `-` → `_`', () => {
    expect(botEnvPrefix('etm-terrain-2')).toBe('BOT_ETM_TERRAIN_2_');
    expect(helperBody('etm-terrain.botEnvPrefix')).toBe(
      '{{- printf "BOT_%s_" (. | upper | replace "-" "_") }}',
    );
  });

  it('reads the Secret under the names the service reads, unless told otherwise', () => {
    expect(valueAt(['secret', 'keys'])).toEqual({
      nextcloudPassword: 'NEXTCLOUD_PASSWORD',
      adminToken: 'ADMIN_TOKEN',
      databaseUrl: 'DATABASE_URL',
    });
    expect(helperBody('etm-terrain.botTokenKey')).toContain(
      '(printf "%sTOKEN" (include "etm-terrain.botEnvPrefix" .slug))',
    );
  });
});

describe('the defaults of values.yaml', () => {
  /** ConfigMap entries that are not a plain value of values.yaml, each with what it is without bots. */
  const COMPUTED: Record<string, string> = {
    DATABASE_URL: `sqlite:/data/${String(valueAt(['database', 'sqliteFile']))}`,
    BOTS: '',
  };

  /** The ConfigMap's data with no bot, each `{{ .Values.x | … }}` replaced by its value. */
  function defaultEnvironment(): Record<string, string> {
    const { text, placeholders } = skeleton(template('configmap.yaml'), {
      branch: 'first',
      ranges: 'none',
      assume: { [SQLITE]: true },
    });
    const data = (parse(text) as { data: Record<string, string> }).data;
    return Object.fromEntries(
      Object.entries(data).map(([name, value]) => {
        const expression = placeholders.get(value);
        if (expression === undefined) return [name, value];
        if (name in COMPUTED) return [name, COMPUTED[name]!];
        return [name, plainValue(name, expression)];
      }),
    );
  }

  /** `.Values.a.b | quote` (or `| int64 | quote`): the value as the service receives it. */
  function plainValue(name: string, expression: string): string {
    if (!/^\.Values(\.[A-Za-z]+)+( \| int64)? \| quote$/.test(expression)) {
      throw new Error(`${name}: ${expression} is neither a plain value nor listed in COMPUTED`);
    }
    const [path] = valuesPaths(expression);
    const value = valueAt(path!);
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new Error(`${name}: ${String(value)}`);
    return String(value);
  }

  it('are accepted by the service and equal its own defaults, but for the database on /data and the assistant off', () => {
    const env = defaultEnvironment();
    const config = loadConfig(env);
    const own = loadConfig({});
    expect(config).toEqual({
      ...own,
      databaseUrl: 'sqlite:/data/etm-terrain.db',
      assistant: { ...own.assistant, enabled: false },
    });
    expect(env.PORT).toBe('8080');
  });
});
