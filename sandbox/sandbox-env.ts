import { botEnvPrefix } from '../src/config.ts';

/**
 * The environment the sandbox gives the real service: one bot, three groups, every remote on a
 * local stand-in. Pure, so what the sandbox configures can be read in one place.
 */

/** The bot slug the sandbox serves, and the one `make send` uses when no bot is configured. */
export const SANDBOX_SLUG = 'sandbox';
/** Well-formed and obviously fake: the Telegram stand-in accepts it, Telegram never would. */
export const SANDBOX_TOKEN = '424242:SANDBOX-fake-token-not-real';
export const SANDBOX_NEXTCLOUD_USER = 'etm-sandbox';
export const SANDBOX_NEXTCLOUD_PASSWORD = 'sandbox-app-password-not-real';

/** Fake supergroup ids (supergroups are -100…), one per group the service posts to. */
export const SANDBOX_GROUPS = {
  chantier: { id: -1_009_000_000_001, title: 'Chat Chantier' },
  sav: { id: -1_009_000_000_002, title: 'ETM-SAV' },
  magasin: { id: -1_009_000_000_003, title: 'ETM-Magasinier' },
} as const;

/** Settings a person may tune when starting the sandbox; everything else is the sandbox's. */
export const TUNABLE_KEYS = [
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'ALBUM_QUIET_MS',
  'REPORT_TIMEZONE',
  'DECK_BOARD',
  'WORKER_CONCURRENCY',
  'CONVERSATION_TIMEOUT_MINUTES',
  'ADMIN_TOKEN',
  'SHUTDOWN_GRACE_MS',
] as const;

export interface SandboxEndpoints {
  readonly telegramApiUrl: string;
  readonly nextcloudUrl: string;
  /** The Ollama stand-in and the models it has pulled. */
  readonly ollama: { readonly url: string; readonly model: string; readonly embedModel: string };
  /** Absolute path of the SQLite file. */
  readonly databaseFile: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The service's environment in the sandbox. Tunables come from `given` (the person's shell or
 * the test); bots, remotes and the database are always the sandbox's own, so a real token or
 * a real Nextcloud in the shell can never be used by accident.
 */
export function sandboxEnv(endpoints: SandboxEndpoints, given: Env = {}): Record<string, string> {
  const env: Record<string, string> = { PORT: '8080', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  for (const key of TUNABLE_KEYS) {
    const value = given[key];
    if (value !== undefined && value.trim() !== '') env[key] = value;
  }
  const bot = botEnvPrefix(SANDBOX_SLUG);
  return {
    ...env,
    BOTS: SANDBOX_SLUG,
    [`${bot}TOKEN`]: SANDBOX_TOKEN,
    [`${bot}GROUP_CHANTIER`]: String(SANDBOX_GROUPS.chantier.id),
    [`${bot}GROUP_SAV`]: String(SANDBOX_GROUPS.sav.id),
    [`${bot}GROUP_MAGASIN`]: String(SANDBOX_GROUPS.magasin.id),
    TELEGRAM_API_URL: endpoints.telegramApiUrl,
    NEXTCLOUD_URL: endpoints.nextcloudUrl,
    NEXTCLOUD_USER: SANDBOX_NEXTCLOUD_USER,
    NEXTCLOUD_PASSWORD: SANDBOX_NEXTCLOUD_PASSWORD,
    OLLAMA_URL: endpoints.ollama.url,
    OLLAMA_MODEL: endpoints.ollama.model,
    OLLAMA_EMBED_MODEL: endpoints.ollama.embedModel,
    // The example known fixes shipped with the repository.
    ASSISTANT_KNOWLEDGE_DIR: 'knowledge/Wiki_SAV',
    DATABASE_URL: `sqlite:${endpoints.databaseFile}`,
  };
}

/** The technician the web chat speaks as: the one of samples/updates/, so replays join the conversation. */
export const SANDBOX_TECHNICIAN = { id: 111_111_111, first_name: 'Jean', last_name: 'Test' } as const;
