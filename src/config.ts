import { DEFAULT_THRESHOLDS } from './assistant/answer-policy.ts';
import Type, { type TObject, type TSchema } from 'typebox';
import Value from 'typebox/value';

/**
 * The service's whole configuration: one TypeBox schema over the environment (listed in .env.example),
 * validated at start-up with every bad or missing key reported in one error.
 * Only the entry point reads `process.env`; everything else receives a `Config`.
 */

export interface BotConfig {
  readonly slug: string;
  /** Absent only for the demo bot served when `BOTS` is unset. */
  readonly token: string | undefined;
  readonly groups: {
    readonly chantier: number | undefined;
    readonly sav: number | undefined;
    readonly magasin: number | undefined;
  };
  /** Empty means everyone may report. */
  readonly allowedUsers: readonly number[];
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  /** Connections each process keeps to PostgreSQL (unused with SQLite's single connection). */
  readonly databasePoolSize: number;
  /** True when `BOTS` is unset: one slug `demo` is served and nothing is sent to Telegram. */
  readonly demo: boolean;
  readonly bots: readonly BotConfig[];
  readonly telegramApiUrl: string;
  readonly nextcloud:
    | {
        readonly url: string;
        readonly user: string;
        readonly password: string;
        /** Deck's root: NEXTCLOUD_URL unless DECK_URL says otherwise (a proxy, the tests' stand-in). */
        readonly deckUrl: string;
      }
    | undefined;
  readonly deckBoard: string;
  /** The Nextcloud group a board the service creates is shared with (edit rights), or none. */
  readonly deckShareGroup: string | undefined;
  readonly reportTimezone: string;
  readonly albumQuietMs: number;
  readonly ollama: { readonly url: string; readonly model: string; readonly embedModel: string };
  /** The SAV assistant (never in demo); `knowledgeDir` unset = leads from the model alone. */
  readonly assistant: {
    readonly enabled: boolean;
    /** A local folder of notes (development, sandbox); when unset, `knowledgeFolder` in Nextcloud. */
    readonly knowledgeDir: string | undefined;
    readonly knowledgeFolder: string;
    /** A known fix is given as such from this similarity, and this far ahead of the next one. */
    readonly answerThreshold: number;
    /** The threshold while Ollama is down and known fixes are found by BM25 alone. */
    readonly lexicalAnswerThreshold: number;
    readonly answerMargin: number;
  };
  readonly adminToken: string | undefined;
  /** `/metrics` asks for `Authorization: Bearer <ADMIN_TOKEN>` too. */
  readonly metricsRequireToken: boolean;
  readonly logLevel: LogLevel;
  readonly shutdownGraceMs: number;
  readonly worker: { readonly enabled: boolean; readonly concurrency: number };
  readonly jobRetentionDays: number;
  readonly conversationTimeoutMinutes: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const DEMO_SLUG = 'demo';

const INTEGER = '^[0-9]+$';
const MAX_PORT = 65_535;
const CHAT_ID = '^-?[0-9]+$';
const USER_IDS = '^\\s*([0-9]+(\\s*,\\s*[0-9]+)*)?\\s*$';
const HTTP_URL = '^https?://[^\\s]+$';
const SLUG_LIST = '^\\s*[a-z0-9-]+(\\s*,\\s*[a-z0-9-]+)*\\s*$';
/** Telegram's token shape: `<bot id>:<secret>`. */
const BOT_TOKEN = '^[0-9]+:[A-Za-z0-9_-]+$';
const BOOLEAN = '^(true|false|1|0)$';
const FRACTION = '^(0(\\.[0-9]+)?|1(\\.0+)?)$';
/**
 * What `Authorization: Bearer <token>` can carry: RFC 6750's b64token
 * (https://www.rfc-editor.org/rfc/rfc6750#section-2.1). A token with a space or another character
 * could be set, but never presented, so it is refused at start-up.
 */
const ADMIN_TOKEN_PATTERN = '^[A-Za-z0-9._~+/-]+=*$';
const ADMIN_TOKEN_WORDS =
  'at least 16 characters among letters, digits and - . _ ~ + / (= only at the end), no space: a bearer token (RFC 6750)';

const optional = (pattern: string, description: string) =>
  Type.Optional(Type.String({ pattern, description }));
const optionalText = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

const fixedKeys = {
  PORT: optional(INTEGER, 'listen port'),
  HOST: optionalText('listen address'),
  DATABASE_URL: optional('^(sqlite:.+|postgres(ql)?://.+)$', 'sqlite:<path> or postgres://…'),
  DATABASE_POOL_SIZE: optional('^[1-9][0-9]*$', 'positive integer'),
  BOTS: optional(SLUG_LIST, 'comma-separated slugs, kebab-case'),
  TELEGRAM_API_URL: optional(HTTP_URL, 'Bot API root'),
  NEXTCLOUD_URL: optional(HTTP_URL, 'Nextcloud root'),
  NEXTCLOUD_USER: optionalText('Nextcloud user'),
  NEXTCLOUD_PASSWORD: optionalText('Nextcloud app password'),
  DECK_BOARD: optionalText('Deck board title'),
  DECK_SHARE_GROUP: optionalText('Nextcloud group id'),
  DECK_URL: optional(HTTP_URL, 'Deck root, when not NEXTCLOUD_URL'),
  REPORT_TIMEZONE: optionalText('IANA time zone'),
  ALBUM_QUIET_MS: optional(INTEGER, 'milliseconds'),
  OLLAMA_URL: optional(HTTP_URL, 'Ollama root'),
  OLLAMA_MODEL: optionalText('chat model'),
  OLLAMA_EMBED_MODEL: optionalText('embedding model'),
  ASSISTANT_ENABLED: optional(BOOLEAN, 'true or false'),
  ASSISTANT_KNOWLEDGE_DIR: optionalText('local folder of Markdown known fixes'),
  ASSISTANT_KNOWLEDGE_FOLDER: optionalText('Nextcloud folder of Markdown known fixes'),
  ASSISTANT_ANSWER_THRESHOLD: optional(FRACTION, 'a number from 0 to 1'),
  ASSISTANT_LEXICAL_ANSWER_THRESHOLD: optional(FRACTION, 'a number from 0 to 1'),
  ASSISTANT_ANSWER_MARGIN: optional(FRACTION, 'a number from 0 to 1'),
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 16, pattern: ADMIN_TOKEN_PATTERN, description: ADMIN_TOKEN_WORDS }),
  ),
  METRICS_REQUIRE_TOKEN: optional(BOOLEAN, 'true or false'),
  LOG_LEVEL: optional(
    '^(fatal|error|warn|info|debug|trace|silent)$',
    'fatal, error, warn, info, debug, trace or silent',
  ),
  SHUTDOWN_GRACE_MS: optional(INTEGER, 'milliseconds'),
  WORKER_ENABLED: optional(BOOLEAN, 'true or false'),
  WORKER_CONCURRENCY: optional('^[1-9][0-9]*$', 'positive integer'),
  JOB_RETENTION_DAYS: optional(INTEGER, 'days'),
  CONVERSATION_TIMEOUT_MINUTES: optional('^[1-9][0-9]*$', 'positive integer'),
};

/** `BOT_<SLUG>_…`: slug upper-cased, `-` → `_` (the gateway's convention). */
export function botEnvPrefix(slug: string): string {
  return `BOT_${slug.toUpperCase().replaceAll('-', '_')}_`;
}

function botKeys(slug: string): Record<string, TSchema> {
  const prefix = botEnvPrefix(slug);
  return {
    [`${prefix}TOKEN`]: Type.String({ pattern: BOT_TOKEN, description: '<bot id>:<secret>' }),
    [`${prefix}GROUP_CHANTIER`]: optional(CHAT_ID, 'chat id'),
    [`${prefix}GROUP_SAV`]: optional(CHAT_ID, 'chat id'),
    [`${prefix}GROUP_MAGASIN`]: optional(CHAT_ID, 'chat id'),
    [`${prefix}ALLOWED_USERS`]: optional(USER_IDS, 'comma-separated user ids'),
  };
}

/** The schema for an environment serving these slugs. */
export function configSchema(slugs: readonly string[]): TObject {
  const keys: Record<string, TSchema> = { ...fixedKeys };
  for (const slug of slugs) Object.assign(keys, botKeys(slug));
  return Type.Object(keys, { additionalProperties: true });
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws one ConfigError listing every problem. */
export function loadConfig(rawEnv: Env): Config {
  const env = withoutEmptyValues(rawEnv);
  const slugs = parseList(env.BOTS);
  const problems = schemaProblems(configSchema(slugs), env);
  problems.push(...semanticProblems(env, slugs));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(buildConfig(env, slugs));
}

/** An empty variable (`FOO=` in a .env) means "not set", as most tools treat it. */
function withoutEmptyValues(env: Env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[key] = value.trim();
  }
  return result;
}

function schemaProblems(schema: TObject, env: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const error of Value.Errors(schema, env)) {
    if (error.keyword === 'required') {
      const { requiredProperties } = error.params;
      for (const name of requiredProperties) problems.push(`${name} is required`);
      continue;
    }
    const name = error.instancePath.replace(/^\//, '');
    problems.push(`${name} is invalid: expected ${describe(schema, name)}`);
  }
  return [...new Set(problems)];
}

function describe(schema: TObject, name: string): string {
  const properties = schema.properties as Record<string, { description?: string } | undefined>;
  return properties[name]?.description ?? 'another value';
}

function semanticProblems(env: Record<string, string>, slugs: string[]): string[] {
  const problems: string[] = [];
  if (new Set(slugs).size !== slugs.length) problems.push('BOTS lists a slug twice');
  const nextcloudKeys = ['NEXTCLOUD_URL', 'NEXTCLOUD_USER', 'NEXTCLOUD_PASSWORD'];
  const nextcloudSet = nextcloudKeys.filter((key) => env[key] !== undefined);
  if (nextcloudSet.length > 0 && nextcloudSet.length < nextcloudKeys.length) {
    for (const key of nextcloudKeys) {
      if (env[key] === undefined) problems.push(`${key} is required when ${nextcloudSet.join(', ')} is set`);
    }
  }
  // The pattern takes any digits; an out-of-range port would otherwise fail later, at listen, alone.
  if (env.PORT !== undefined && new RegExp(INTEGER).test(env.PORT) && Number(env.PORT) > MAX_PORT) {
    problems.push('PORT is invalid: expected listen port');
  }
  if (env.REPORT_TIMEZONE !== undefined && !isTimeZone(env.REPORT_TIMEZONE)) {
    problems.push('REPORT_TIMEZONE is invalid: expected an IANA time zone such as Europe/Paris');
  }
  if (isTrue(env.METRICS_REQUIRE_TOKEN) && env.ADMIN_TOKEN === undefined) {
    problems.push('METRICS_REQUIRE_TOKEN is true but ADMIN_TOKEN, the token it requires, is unset');
  }
  return problems;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function buildConfig(env: Record<string, string>, slugs: string[]): Config {
  const demo = slugs.length === 0;
  const nextcloud =
    env.NEXTCLOUD_URL && env.NEXTCLOUD_USER && env.NEXTCLOUD_PASSWORD
      ? {
          url: trimSlash(env.NEXTCLOUD_URL),
          user: env.NEXTCLOUD_USER,
          password: env.NEXTCLOUD_PASSWORD,
          deckUrl: trimSlash(env.DECK_URL ?? env.NEXTCLOUD_URL),
        }
      : undefined;
  return {
    port: int(env.PORT, 8080),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL ?? 'sqlite:./data/etm-terrain.db',
    databasePoolSize: int(env.DATABASE_POOL_SIZE, 10),
    demo,
    bots: demo ? [demoBot()] : slugs.map((slug) => botConfig(env, slug)),
    telegramApiUrl: trimSlash(env.TELEGRAM_API_URL ?? 'https://api.telegram.org'),
    nextcloud,
    deckBoard: env.DECK_BOARD ?? 'ETM Chantiers',
    deckShareGroup: env.DECK_SHARE_GROUP,
    reportTimezone: env.REPORT_TIMEZONE ?? 'Europe/Paris',
    albumQuietMs: int(env.ALBUM_QUIET_MS, 2500),
    ollama: {
      url: trimSlash(env.OLLAMA_URL ?? 'http://127.0.0.1:11434'),
      model: env.OLLAMA_MODEL ?? 'mistral:7b-instruct',
      embedModel: env.OLLAMA_EMBED_MODEL ?? 'nomic-embed-text',
    },
    assistant: {
      // Its answers reach technicians through the Bot API: without a bot token (demo), it is off.
      enabled: !demo && (env.ASSISTANT_ENABLED === undefined || isTrue(env.ASSISTANT_ENABLED)),
      knowledgeDir: env.ASSISTANT_KNOWLEDGE_DIR,
      knowledgeFolder: (env.ASSISTANT_KNOWLEDGE_FOLDER ?? 'Wiki_SAV').replace(/^\/+|\/+$/g, ''),
      // The assistant's defaults until `npm run calibrate` against the real model says otherwise.
      answerThreshold: optionalNumber(env.ASSISTANT_ANSWER_THRESHOLD) ?? DEFAULT_THRESHOLDS.answer,
      lexicalAnswerThreshold:
        optionalNumber(env.ASSISTANT_LEXICAL_ANSWER_THRESHOLD) ?? DEFAULT_THRESHOLDS.lexicalAnswer,
      answerMargin: optionalNumber(env.ASSISTANT_ANSWER_MARGIN) ?? DEFAULT_THRESHOLDS.margin,
    },
    adminToken: env.ADMIN_TOKEN,
    metricsRequireToken: isTrue(env.METRICS_REQUIRE_TOKEN),
    logLevel: (env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
    shutdownGraceMs: int(env.SHUTDOWN_GRACE_MS, 10_000),
    worker: {
      enabled: env.WORKER_ENABLED === undefined || ['true', '1'].includes(env.WORKER_ENABLED),
      concurrency: int(env.WORKER_CONCURRENCY, 4),
    },
    jobRetentionDays: int(env.JOB_RETENTION_DAYS, 7),
    conversationTimeoutMinutes: int(env.CONVERSATION_TIMEOUT_MINUTES, 30),
  };
}

function botConfig(env: Record<string, string>, slug: string): BotConfig {
  const prefix = botEnvPrefix(slug);
  return {
    slug,
    token: env[`${prefix}TOKEN`],
    groups: {
      chantier: optionalInt(env[`${prefix}GROUP_CHANTIER`]),
      sav: optionalInt(env[`${prefix}GROUP_SAV`]),
      magasin: optionalInt(env[`${prefix}GROUP_MAGASIN`]),
    },
    allowedUsers: parseList(env[`${prefix}ALLOWED_USERS`]).map(Number),
  };
}

function demoBot(): BotConfig {
  return {
    slug: DEMO_SLUG,
    token: undefined,
    groups: { chantier: undefined, sav: undefined, magasin: undefined },
    allowedUsers: [],
  };
}

function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const isTrue = (value: string | undefined) => value === 'true' || value === '1';
const int = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const optionalInt = (value: string | undefined) => (value === undefined ? undefined : Number(value));
const optionalNumber = optionalInt;
const trimSlash = (url: string) => url.replace(/\/+$/, '');

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A loggable view of the configuration: secrets replaced by whether they are set. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    bots: config.bots.map((bot) => ({ ...bot, token: bot.token ? '[set]' : '[unset]' })),
    nextcloud: config.nextcloud ? { ...config.nextcloud, password: '[set]' } : undefined,
    adminToken: config.adminToken ? '[set]' : '[unset]',
    databaseUrl: withoutPassword(config.databaseUrl),
  };
}

/**
 * `postgres://etm:secret@db/etm` → `postgres://etm:[set]@db/etm`; a SQLite path is kept. pg reads a
 * PostgreSQL URL with WHATWG `URL` (node_modules/pg-connection-string/index.js), so `URL` here
 * finds the same password: up to the last `@` before the host (`etm:s3cret@db-pass@db` is user
 * `etm`, password `s3cret@db-pass`), and in any query parameter, since pg takes every one as a
 * setting (`?password=…`). The fragment, which pg ignores, is left out: a `#` in a password ends
 * it there. A URL that `URL` cannot read shows nothing of itself.
 */
function withoutPassword(databaseUrl: string): string {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return databaseUrl;
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return 'postgres://[set]';
  }
  const userInfo = `${url.username}${url.password === '' ? '' : ':[set]'}`;
  const query = url.search.slice(1).split('&').filter(Boolean).map(withoutPasswordValue);
  return [
    `${url.protocol}//${userInfo === '' ? '' : `${userInfo}@`}${url.host}${url.pathname}`,
    query.length > 0 ? `?${query.join('&')}` : '',
  ].join('');
}

/** `password=…` (or `sslpassword=…`, any case, as its name decodes) → `password=[set]`. */
function withoutPasswordValue(parameter: string): string {
  const [name = ''] = new URLSearchParams(parameter).keys();
  return /password/i.test(name) ? `${parameter.split('=')[0] ?? ''}=[set]` : parameter;
}
