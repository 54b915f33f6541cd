import type { Logger } from 'pino';
import { telegramJobs } from './telegram/telegram-jobs.ts';
import type { Config } from './config.ts';
import { conversationSettings } from './conversation/settings.ts';
import type { Db } from './db/database.ts';
import { enqueue } from './queue/enqueue.ts';
import { purgeSeenUpdates } from './dispatch/seen-updates.ts';
import { conversationHandlers } from './dispatch/album-close-job.ts';
import { decideFailure } from './job-failure.ts';
import { type TelegramBot, telegramHandlers } from './telegram/telegram-handlers.ts';
import { purgeEndedHolds } from './queue/not-before.ts';
import { Worker } from './queue/worker.ts';
import { assistantHandlers, enqueueAssistantSync, type SavAssistant } from './assistant/assistant-jobs.ts';
import { OLLAMA_JOB_TYPES } from './assistant/assistant-job-kinds.ts';
import { AssistantStatus } from './assistant/assistant-status.ts';
import {
  type KnowledgeSource,
  localFolderSource,
  type NextcloudFiles,
  nextcloudFolderSource,
} from './assistant/knowledge-source.ts';
import { createSavAssistant } from './assistant/sav-assistant.ts';
import { nextcloudBreaker } from './reports/nextcloud-breaker.ts';
import { nextcloudPorts } from './reports/nextcloud-ports.ts';
import { reportHandlers } from './reports/report-handlers.ts';
import { enqueueChantierRefresh } from './reports/jobs/refresh-chantiers.ts';
import { createBotApiClient } from './telegram/bot-api-client.ts';
import { BOT_COMMANDS_VERSION } from './telegram/bot-commands.ts';
import { purgeOldSends } from './telegram/send-log.ts';
import type { Metrics } from './metrics/metrics.ts';

export interface Background {
  readonly worker: Worker;
  /** The assistant's last known state, for /readyz: 'off', 'ok…' or 'degraded: <reason>'. */
  readonly assistantStatus: () => string;
  /** Closes the remote clients; call after the worker stopped. */
  close(): Promise<void>;
}

/**
 * The background side of the service: the worker and the clients its job handlers use. Jobs of
 * a remote that is not configured get no handler, so they wait instead of failing.
 */
export function createBackground(
  config: Config,
  db: Db,
  logger: Logger,
  clock: () => Date,
  metrics?: Metrics,
): Background {
  const bots = telegramBots(config);
  const breaker = nextcloudBreaker(config, db, clock);
  const nextcloud = nextcloudPorts(config, breaker ? async (call) => breaker.guard(call) : undefined);
  const assistant = config.assistant.enabled ? savAssistant(config, db, clock, nextcloud.files) : undefined;
  const assistantStatus = new AssistantStatus(config.assistant.enabled, () => assistant?.degradation());
  // The jobs that ask Ollama: the Deck comment talks to Deck, and the technician's "no answer"
  // line only to the database; neither says anything of the assistant.
  const isAssistantJob = (type: string) => OLLAMA_JOB_TYPES.has(type);
  const worker = new Worker({
    db,
    handlers: {
      ...conversationHandlers({
        db,
        settings: conversationSettings(config),
        hasBotApi: (slug) => bots.has(slug),
        onAlbumClosed: (items) => metrics?.albumClosed(items),
      }),
      ...reportHandlers({
        db,
        config,
        archive: nextcloud.archive,
        cards: nextcloud.cards,
        telegram: bots,
        ...(breaker ? { nextcloudOnHold: async () => (await breaker.state()) === 'unauthorized' } : {}),
        assistant: assistant !== undefined,
      }),
      ...(assistant
        ? assistantHandlers({ db, assistant, cards: nextcloud.cards, hasBotApi: (slug) => bots.has(slug) })
        : {}),
      ...(bots.size > 0
        ? telegramHandlers({ db, bots, onRateLimited: (method) => metrics?.telegramRateLimited(method) })
        : {}),
    },
    decide: (error, job) => {
      const decision = decideFailure(error);
      if (isAssistantJob(job.type) && decision.action !== 'postpone') assistantStatus.failed(decision.reason);
      return decision;
    },
    onJobEnd: (job, outcome, durationMs) => {
      metrics?.jobEnded(job.type, outcome, durationMs);
      if (isAssistantJob(job.type) && outcome === 'done') assistantStatus.succeeded();
    },
    clock,
    logger: logger.child({ component: 'worker' }),
    concurrency: config.worker.concurrency,
    retentionDays: config.jobRetentionDays,
    // Runs hourly, in one replica at a time (the worker's cluster lock); the syncs it queues run
    // one at a time across the cluster too (the assistant.sync handler).
    housekeeping: async (now) => {
      // Notes change in Nextcloud: index them again at start and then every hour.
      if (assistant) await enqueueAssistantSync(db, now, 'hourly');
      // Folders the office makes by hand: the chantiers offered to technicians learn them hourly.
      if (nextcloud.archive) await enqueueChantierRefresh(db, now);
      await purgeEndedHolds(db, now);
      await purgeOldSends(db, now);
      const forgotten = await purgeSeenUpdates(db, now);
      if (forgotten > 0) logger.info({ forgotten }, 'forgot old update ids');
    },
  });
  return {
    worker,
    assistantStatus: () => assistantStatus.describe(),
    async close() {
      for (const bot of bots.values()) await bot.client.close();
      await nextcloud.close();
      await assistant?.close();
    },
  };
}

function savAssistant(
  config: Config,
  db: Db,
  clock: () => Date,
  files: NextcloudFiles | undefined,
): SavAssistant {
  return createSavAssistant({
    ollamaUrl: config.ollama.url,
    chatModel: config.ollama.model,
    embedModel: config.ollama.embedModel,
    db,
    knowledge: { source: knowledgeSource(config, files) },
    thresholds: {
      answer: config.assistant.answerThreshold,
      lexicalAnswer: config.assistant.lexicalAnswerThreshold,
      margin: config.assistant.answerMargin,
    },
    clock,
  });
}

/** A local folder when one is named, else the Nextcloud folder; neither: the model's leads alone. */
function knowledgeSource(config: Config, files: NextcloudFiles | undefined): KnowledgeSource {
  const { knowledgeDir, knowledgeFolder } = config.assistant;
  if (knowledgeDir) return localFolderSource(knowledgeDir);
  if (files) return nextcloudFolderSource(files, knowledgeFolder);
  return { list: async () => [] };
}

function telegramBots(config: Config): Map<string, TelegramBot> {
  const bots = new Map<string, TelegramBot>();
  for (const bot of config.bots) {
    if (!bot.token) continue;
    const client = createBotApiClient({ apiUrl: config.telegramApiUrl, token: bot.token });
    // No rate limiter here: the sends are counted in the database, for every replica
    // (src/telegram/send-log.ts).
    bots.set(bot.slug, { client });
  }
  return bots;
}

/** Registers the command menu of every bot once per version of the list (and after upgrades). */
export async function enqueueStartupJobs(config: Config, db: Db, now: Date): Promise<void> {
  for (const bot of config.bots) {
    if (!bot.token) continue;
    await enqueue(
      db,
      telegramJobs['telegram.set-commands'],
      {
        idempotencyKey: `${bot.slug}:set-commands:${BOT_COMMANDS_VERSION}`,
        payload: { slug: bot.slug },
      },
      now,
    );
  }
}
