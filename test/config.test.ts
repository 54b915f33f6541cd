import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import {
  botEnvPrefix,
  type Config,
  ConfigError,
  configSchema,
  DEMO_SLUG,
  loadConfig,
  redactedConfig,
} from '../src/config.ts';
import { FAKE_TOKEN } from './support/test-app.ts';

const OTHER_TOKEN = '654321:TEST-other-fake-token';

/** The ConfigError thrown for this environment; fails the test if none is thrown. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('applies every default when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'sqlite:./data/etm-terrain.db',
      databasePoolSize: 10,
      demo: true,
      bots: [
        {
          slug: 'demo',
          token: undefined,
          groups: { chantier: undefined, sav: undefined, magasin: undefined },
          allowedUsers: [],
        },
      ],
      telegramApiUrl: 'https://api.telegram.org',
      nextcloud: undefined,
      deckBoard: 'ETM Chantiers',
      deckShareGroup: undefined,
      reportTimezone: 'Europe/Paris',
      albumQuietMs: 2500,
      ollama: { url: 'http://127.0.0.1:11434', model: 'mistral:7b-instruct', embedModel: 'nomic-embed-text' },
      adminToken: undefined,
      metricsRequireToken: false,
      assistant: {
        enabled: false,
        knowledgeDir: undefined,
        knowledgeFolder: 'Wiki_SAV',
        answerThreshold: 0.4,
        lexicalAnswerThreshold: 0.45,
        answerMargin: 0.05,
      },
      logLevel: 'info',
      shutdownGraceMs: 10_000,
      worker: { enabled: true, concurrency: 4 },
      jobRetentionDays: 7,
      conversationTimeoutMinutes: 30,
    } satisfies Config);
  });

  it('takes every setting from the environment when set', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite:/var/lib/etm/etm.db',
      BOTS: 'etm-terrain',
      BOT_ETM_TERRAIN_TOKEN: FAKE_TOKEN,
      TELEGRAM_API_URL: 'http://127.0.0.1:8081/',
      NEXTCLOUD_URL: 'https://cloud.example.invalid/',
      NEXTCLOUD_USER: 'etm-bot',
      NEXTCLOUD_PASSWORD: 'fake-app-password',
      DECK_BOARD: 'Tableau test',
      REPORT_TIMEZONE: 'America/Cayenne',
      ALBUM_QUIET_MS: '100',
      OLLAMA_URL: 'http://127.0.0.1:9999',
      OLLAMA_MODEL: 'tiny-chat',
      OLLAMA_EMBED_MODEL: 'tiny-embed',
      ADMIN_TOKEN: 'fake-admin-token-0123456789',
      METRICS_REQUIRE_TOKEN: 'true',
      LOG_LEVEL: 'debug',
      SHUTDOWN_GRACE_MS: '500',
      WORKER_ENABLED: 'false',
      WORKER_CONCURRENCY: '2',
      JOB_RETENTION_DAYS: '3',
      CONVERSATION_TIMEOUT_MINUTES: '15',
    });
    expect(config).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:/var/lib/etm/etm.db',
      demo: false,
      telegramApiUrl: 'http://127.0.0.1:8081',
      nextcloud: { url: 'https://cloud.example.invalid', user: 'etm-bot', password: 'fake-app-password' },
      deckBoard: 'Tableau test',
      reportTimezone: 'America/Cayenne',
      albumQuietMs: 100,
      ollama: { url: 'http://127.0.0.1:9999', model: 'tiny-chat', embedModel: 'tiny-embed' },
      adminToken: 'fake-admin-token-0123456789',
      metricsRequireToken: true,
      logLevel: 'debug',
      shutdownGraceMs: 500,
      worker: { enabled: false, concurrency: 2 },
      jobRetentionDays: 3,
      conversationTimeoutMinutes: 15,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads WORKER_ENABLED=%s as %s', (value, enabled) => {
    expect(loadConfig({ WORKER_ENABLED: value }).worker.enabled).toBe(enabled);
  });

  it('refuses METRICS_REQUIRE_TOKEN=true without the ADMIN_TOKEN it requires', () => {
    expect(configError({ METRICS_REQUIRE_TOKEN: 'true' }).problems).toEqual([
      'METRICS_REQUIRE_TOKEN is true but ADMIN_TOKEN, the token it requires, is unset',
    ]);
  });

  it('takes the assistant from the environment: on only with a bot, thresholds as fractions', () => {
    const bot = { BOTS: 'etm', BOT_ETM_TOKEN: '123456:TEST-fake' };
    const config = loadConfig({
      ...bot,
      ASSISTANT_ANSWER_THRESHOLD: '0.72',
      ASSISTANT_LEXICAL_ANSWER_THRESHOLD: '0.6',
      ASSISTANT_ANSWER_MARGIN: '0.1',
    });
    expect(config.assistant).toMatchObject({
      enabled: true,
      answerThreshold: 0.72,
      lexicalAnswerThreshold: 0.6,
      answerMargin: 0.1,
    });
    expect(loadConfig({ ASSISTANT_ENABLED: 'true' }).assistant.enabled).toBe(false);
    expect(() => loadConfig({ ...bot, ASSISTANT_ANSWER_THRESHOLD: '1.5' })).toThrow(
      /ASSISTANT_ANSWER_THRESHOLD is invalid: expected a number from 0 to 1/,
    );
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({ PORT: '', BOTS: '  ', LOG_LEVEL: '', NEXTCLOUD_URL: '', ADMIN_TOKEN: '' });
    expect(config.port).toBe(8080);
    expect(config.demo).toBe(true);
    expect(config.logLevel).toBe('info');
    expect(config.nextcloud).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
  });

  it('treats an empty bot token as missing', () => {
    expect(configError({ BOTS: 'etm-terrain', BOT_ETM_TERRAIN_TOKEN: '' }).problems).toEqual([
      'BOT_ETM_TERRAIN_TOKEN is required',
    ]);
  });
});

describe('bots', () => {
  it('serves the demo slug only, with no token, when BOTS is unset', () => {
    const config = loadConfig({ BOT_ETM_TERRAIN_TOKEN: FAKE_TOKEN });
    expect(config.demo).toBe(true);
    expect(config.bots.map((bot) => bot.slug)).toEqual([DEMO_SLUG]);
    expect(DEMO_SLUG).toBe('demo');
    expect(config.bots[0]?.token).toBeUndefined();
  });

  it('names per-bot variables BOT_<SLUG>_* with the slug upper-cased and dashes as underscores', () => {
    expect(botEnvPrefix('etm-terrain')).toBe('BOT_ETM_TERRAIN_');
    expect(botEnvPrefix('sav2')).toBe('BOT_SAV2_');
    const config = loadConfig({
      BOTS: 'etm-terrain, sav2',
      BOT_ETM_TERRAIN_TOKEN: FAKE_TOKEN,
      BOT_ETM_TERRAIN_GROUP_CHANTIER: '-1001111111111',
      BOT_ETM_TERRAIN_GROUP_SAV: '-1002222222222',
      BOT_ETM_TERRAIN_GROUP_MAGASIN: '-1003333333333',
      BOT_ETM_TERRAIN_ALLOWED_USERS: ' 111111111 , 222222222 ',
      BOT_SAV2_TOKEN: OTHER_TOKEN,
    });
    expect(config.demo).toBe(false);
    expect(config.bots).toEqual([
      {
        slug: 'etm-terrain',
        token: FAKE_TOKEN,
        groups: { chantier: -1001111111111, sav: -1002222222222, magasin: -1003333333333 },
        allowedUsers: [111111111, 222222222],
      },
      {
        slug: 'sav2',
        token: OTHER_TOKEN,
        groups: { chantier: undefined, sav: undefined, magasin: undefined },
        allowedUsers: [],
      },
    ]);
  });

  it('does not read a variable spelled with the dash kept', () => {
    const error = configError({ BOTS: 'etm-terrain', 'BOT_ETM-TERRAIN_TOKEN': FAKE_TOKEN });
    expect(error.problems).toEqual(['BOT_ETM_TERRAIN_TOKEN is required']);
  });

  it('reads a single allowed user', () => {
    const config = loadConfig({ BOTS: 'a', BOT_A_TOKEN: FAKE_TOKEN, BOT_A_ALLOWED_USERS: '42' });
    expect(config.bots[0]?.allowedUsers).toEqual([42]);
  });

  it.each(['abc', '12;34', '-5', '1,,2', '1.5'])('refuses ALLOWED_USERS=%s', (value) => {
    const error = configError({ BOTS: 'a', BOT_A_TOKEN: FAKE_TOKEN, BOT_A_ALLOWED_USERS: value });
    expect(error.problems).toEqual(['BOT_A_ALLOWED_USERS is invalid: expected comma-separated user ids']);
  });

  it.each(['group', '-100abc', '1e5'])('refuses a group id %s', (value) => {
    const error = configError({ BOTS: 'a', BOT_A_TOKEN: FAKE_TOKEN, BOT_A_GROUP_SAV: value });
    expect(error.problems).toEqual(['BOT_A_GROUP_SAV is invalid: expected chat id']);
  });

  it('refuses a slug listed twice and a slug that is not kebab-case', () => {
    expect(configError({ BOTS: 'a,a', BOT_A_TOKEN: FAKE_TOKEN }).problems).toEqual([
      'BOTS lists a slug twice',
    ]);
    expect(configError({ BOTS: 'Etm_Terrain', BOT_ETM_TERRAIN_TOKEN: FAKE_TOKEN }).message).toContain(
      'BOTS is invalid',
    );
  });
});

describe('ConfigError', () => {
  it('reports every missing or invalid key at once, naming each variable', () => {
    const error = configError({
      BOTS: 'etm-terrain,sav2',
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      NEXTCLOUD_URL: 'https://cloud.example.invalid',
      REPORT_TIMEZONE: 'Mars/Olympus_Mons',
      ADMIN_TOKEN: 'short',
      TELEGRAM_API_URL: 'ftp://example.invalid',
      DATABASE_URL: 'mysql://db',
      WORKER_CONCURRENCY: '0',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect([...error.problems].sort()).toEqual(
      [
        'BOT_ETM_TERRAIN_TOKEN is required',
        'BOT_SAV2_TOKEN is required',
        'PORT is invalid: expected listen port',
        'LOG_LEVEL is invalid: expected fatal, error, warn, info, debug, trace or silent',
        'NEXTCLOUD_USER is required when NEXTCLOUD_URL is set',
        'NEXTCLOUD_PASSWORD is required when NEXTCLOUD_URL is set',
        'REPORT_TIMEZONE is invalid: expected an IANA time zone such as Europe/Paris',
        'ADMIN_TOKEN is invalid: expected at least 16 characters among letters, digits and - . _ ~ + / (= only at the end), no space: a bearer token (RFC 6750)',
        'TELEGRAM_API_URL is invalid: expected Bot API root',
        'DATABASE_URL is invalid: expected sqlite:<path> or postgres://…',
        'WORKER_CONCURRENCY is invalid: expected positive integer',
      ].sort(),
    );
    for (const name of [
      'BOT_ETM_TERRAIN_TOKEN',
      'BOT_SAV2_TOKEN',
      'PORT',
      'LOG_LEVEL',
      'NEXTCLOUD_USER',
      'NEXTCLOUD_PASSWORD',
      'REPORT_TIMEZONE',
      'ADMIN_TOKEN',
      'TELEGRAM_API_URL',
      'DATABASE_URL',
      'WORKER_CONCURRENCY',
    ]) {
      expect(error.message).toContain(name);
    }
  });

  it.each(['65536', '99999'])('refuses PORT=%s, beyond the last TCP port', (port) => {
    expect(configError({ PORT: port }).problems).toEqual(['PORT is invalid: expected listen port']);
  });

  it('accepts the highest TCP port', () => {
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  // `Authorization: Bearer <token>` carries one b64token (https://www.rfc-editor.org/rfc/rfc6750#section-2.1):
  // any other ADMIN_TOKEN could never be presented.
  it.each([
    ['a space', 'correct horse battery staple'],
    ['a character outside the b64token set', 'fake-admin-token:0123456789'],
    ['= before the end', 'fake=admin-token-0123456789'],
    ['a non-ASCII letter', 'fake-admin-tökén-0123456789'],
  ])('refuses an ADMIN_TOKEN with %s, saying what the token may hold', (_name, token) => {
    const error = configError({ ADMIN_TOKEN: token });
    expect(error.problems).toEqual([
      'ADMIN_TOKEN is invalid: expected at least 16 characters among letters, digits and - . _ ~ + / (= only at the end), no space: a bearer token (RFC 6750)',
    ]);
    expect(error.message).not.toContain(token);
  });

  it.each([
    ['hexadecimal (openssl rand -hex 24)', '3f9a0c6e1b7d4a25c8e0f1a2b3c4d5e6f708192a3b4c5d6e'],
    ['base64 with padding (openssl rand -base64 20)', 'q1Zk+9yT/0bW3xLr5mNs8vPa2cE='],
    ['base64url', 'fake_admin-token.0123~456789'],
  ])('takes an ADMIN_TOKEN in %s', (_name, token) => {
    expect(loadConfig({ ADMIN_TOKEN: token }).adminToken).toBe(token);
  });

  it('takes a PostgreSQL URL and its pool size', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://etm@db/etm', DATABASE_POOL_SIZE: '4' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://etm@db/etm', databasePoolSize: 4 });
    expect(configError({ DATABASE_POOL_SIZE: '0' }).problems).toEqual([
      'DATABASE_POOL_SIZE is invalid: expected positive integer',
    ]);
  });

  it('never echoes a secret value in its message', () => {
    const secrets = {
      token: '123456:TEST-SECRET-with-a-bad-char-!',
      shortAdmin: 'SECRET-admin',
      password: 'SECRET-nextcloud-password',
    };
    const error = configError({
      BOTS: 'etm-terrain',
      BOT_ETM_TERRAIN_TOKEN: secrets.token,
      ADMIN_TOKEN: secrets.shortAdmin,
      NEXTCLOUD_PASSWORD: secrets.password,
    });
    expect(error.message).toContain('BOT_ETM_TERRAIN_TOKEN is invalid');
    expect(error.message).toContain('ADMIN_TOKEN is invalid');
    expect(error.message).toContain('NEXTCLOUD_URL is required when NEXTCLOUD_PASSWORD is set');
    const everything = `${error.message}\n${error.problems.join('\n')}\n${error.stack ?? ''}`;
    expect(everything).not.toContain('SECRET');
  });
});

describe('the config object', () => {
  const config = loadConfig({
    BOTS: 'etm-terrain',
    BOT_ETM_TERRAIN_TOKEN: FAKE_TOKEN,
    BOT_ETM_TERRAIN_ALLOWED_USERS: '1,2',
    NEXTCLOUD_URL: 'https://cloud.example.invalid',
    NEXTCLOUD_USER: 'etm-bot',
    NEXTCLOUD_PASSWORD: 'fake-app-password',
    ADMIN_TOKEN: 'fake-admin-token-0123456789',
  });

  it('is deeply frozen', () => {
    const bot = config.bots[0]!;
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.bots)).toBe(true);
    expect(Object.isFrozen(bot)).toBe(true);
    expect(Object.isFrozen(bot.groups)).toBe(true);
    expect(Object.isFrozen(bot.allowedUsers)).toBe(true);
    expect(Object.isFrozen(config.nextcloud)).toBe(true);
    expect(Object.isFrozen(config.ollama)).toBe(true);
    expect(Object.isFrozen(config.worker)).toBe(true);
    // ESM is strict mode: writing to a frozen object throws.
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (bot.allowedUsers as number[]).push(3);
    }).toThrow(TypeError);
  });

  it('has a redacted view that hides every secret and keeps the rest', () => {
    const redacted = redactedConfig(config);
    const text = JSON.stringify(redacted);
    expect(text).not.toContain(FAKE_TOKEN);
    expect(text).not.toContain('fake-app-password');
    expect(text).not.toContain('fake-admin-token');
    expect(redacted).toMatchObject({
      port: 8080,
      bots: [{ slug: 'etm-terrain', token: '[set]', allowedUsers: [1, 2] }],
      nextcloud: { url: 'https://cloud.example.invalid', user: 'etm-bot', password: '[set]' },
      adminToken: '[set]',
    });
    const postgres = loadConfig({ DATABASE_URL: 'postgres://etm:fake-db-password@db:5432/etm' });
    expect(redactedConfig(postgres).databaseUrl).toBe('postgres://etm:[set]@db:5432/etm');
    expect(redactedConfig(loadConfig({}))).toMatchObject({
      bots: [{ slug: 'demo', token: '[unset]' }],
      nextcloud: undefined,
      adminToken: '[unset]',
    });
  });

  // pg reads the URL as WHATWG URL does (node_modules/pg-connection-string/index.js): the password
  // runs to the last `@`, and every query parameter is a setting, `password` included.
  it.each([
    [
      'a password parameter',
      'postgres://etm@db.example/etm?password=s3cret-db-pass',
      'postgres://etm@db.example/etm?password=[set]',
    ],
    [
      'an @ in the password',
      'postgres://etm:s3cret@db-pass@db.example/etm',
      'postgres://etm:[set]@db.example/etm',
    ],
    [
      'both, among other parameters',
      'postgresql://etm:s3cret@db-pass@db.example:5433/etm?sslmode=require&PASSWORD=s3cret&sslpassword=db-pass',
      'postgresql://etm:[set]@db.example:5433/etm?sslmode=require&PASSWORD=[set]&sslpassword=[set]',
    ],
    [
      'a parameter name in percent-encoding',
      'postgres://etm@db.example/etm?pass%77ord=s3cret-db-pass',
      'postgres://etm@db.example/etm?pass%77ord=[set]',
    ],
    [
      'a # in the password, which URL reads as the fragment',
      'postgres://etm@db.example/etm?password=s3cret#db-pass',
      'postgres://etm@db.example/etm?password=[set]',
    ],
    [
      'a URL that URL cannot read (pg retries it with a stand-in host)',
      'postgres://etm:s3cret-db-pass@/etm?host=/run/postgresql',
      'postgres://[set]',
    ],
    [
      'no password',
      'postgres://etm@db.example:5432/etm?options=-c%20search_path%3Dt1',
      'postgres://etm@db.example:5432/etm?options=-c%20search_path%3Dt1',
    ],
  ])('hides the password of a PostgreSQL URL with %s', (_name, databaseUrl, logged) => {
    const redacted = redactedConfig(loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl }));
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('db-pass');
    expect(redacted.databaseUrl).toBe(logged);
  });

  it('keeps a SQLite path as it is', () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite:./data/etm@office:1.db' });
    expect(redactedConfig(config).databaseUrl).toBe('sqlite:./data/etm@office:1.db');
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  /** Every `KEY=value` line, active or commented out (`# KEY=value`). */
  const entries = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({
    key: m[1]!,
    value: m[2]!,
  }));
  const exampleKeys = entries.map((entry) => entry.key);
  const fixedKeys = Object.keys(configSchema([]).properties);

  it('lists every fixed setting of the schema', () => {
    expect(fixedKeys.length).toBeGreaterThan(10);
    expect(fixedKeys.filter((key) => !exampleKeys.includes(key))).toEqual([]);
  });

  it('lists every per-bot setting for the example slug etm-terrain', () => {
    const botKeys = Object.keys(configSchema(['etm-terrain']).properties).filter(
      (key) => !fixedKeys.includes(key),
    );
    expect(botKeys.length).toBeGreaterThan(0);
    expect(botKeys.filter((key) => !exampleKeys.includes(key))).toEqual([]);
  });

  it('lists only settings that the schema knows, each once', () => {
    const known = Object.keys(configSchema(['etm-terrain']).properties);
    expect(exampleKeys.filter((key) => !known.includes(key))).toEqual([]);
    expect(new Set(exampleKeys).size).toBe(exampleKeys.length);
  });

  it('explains every setting in a comment line just above it', () => {
    const lines = text.split('\n');
    for (const { key } of entries) {
      const index = lines.findIndex((line) => new RegExp(`^#?\\s*${key}=`).test(line));
      expect(lines[index - 1], key).toMatch(/^# .*\(.*default.*\)\.?$/);
    }
  });

  it('loads as it is (everything commented out) into the demo configuration', () => {
    expect(loadConfig(parseDotenv(text)).demo).toBe(true);
  });

  it('holds fake values that are all valid once uncommented', () => {
    const config = loadConfig(Object.fromEntries(entries.map(({ key, value }) => [key, value])));
    expect(config.bots.map((bot) => bot.slug)).toEqual(['etm-terrain']);
    expect(config.bots[0]?.token).toMatch(/TEST-fake/);
    expect(config.nextcloud?.password).toMatch(/fake/);
    expect(config.adminToken).toMatch(/fake/);
  });
});
