import type { AssistantAnswersTable, AssistantUnitsTable } from '../assistant/assistant-schema.ts';
import type { Generated } from 'kysely';
import type { NextcloudBreakerTable } from '../nextcloud/credentials-breaker.ts';

/**
 * Row types of every table, as the frozen migrations create them.
 *
 * The database is the only state replicas share; nothing that must hold across them lives in a
 * process. Where each piece lives:
 * - updates already handled, with the synchronous answer each got: `processed_updates`, a primary
 *   key (src/dispatch/seen-updates.ts);
 * - conversations and open albums: `conversations`, a version per row (optimistic lock,
 *   src/dispatch/conversation-store.ts); an album closes in a durable job, whichever replica runs
 *   it (src/dispatch/album-close-job.ts);
 * - jobs, their claims and dependencies: `jobs`, `job_dependencies`, claimed `FOR UPDATE SKIP
 *   LOCKED` under a token (src/queue/job-store.ts); wake-ups by `LISTEN/NOTIFY`
 *   (src/queue/job-notifications.ts);
 * - Telegram's 429 waits: `send_limits` (src/queue/not-before.ts); the messages each chat and bot
 *   sent within its limit window: `send_log` (src/telegram/send-log.ts); group ids after a
 *   migration to a supergroup: `chat_migrations` (src/telegram/chat-migrations.ts);
 * - report numbers (`SAV-0042`): `reports`, numbered under a transaction-level advisory lock
 *   (src/reports/report-store.ts);
 * - the Deck board and its stacks: created under the cluster lock `deck.board`
 *   (src/reports/jobs/deck-card.ts); each process caches the ids once found;
 * - report folders and photo names: a client's folder chosen and made under the cluster lock
 *   `report.folders:<kind>`, the names of a folder under a transaction-level advisory lock
 *   (src/reports/folder-names.ts);
 * - the knowledge sync: the cluster lock `assistant.sync` (src/assistant/assistant-jobs.ts); the
 *   hourly housekeeping: the cluster lock `housekeeping`, skipped by a replica that finds it
 *   taken (src/queue/worker.ts); both in src/db/cluster-lock.ts;
 * - Nextcloud refusing the app password: `nextcloud_breaker` (src/nextcloud/credentials-breaker.ts).
 * Per process on purpose: the assistant's last known state shown by /readyz (each pod reports its
 * own readiness) and the metrics (Prometheus scrapes each pod).
 */
export interface Database {
  processed_updates: ProcessedUpdatesTable;
  conversations: ConversationsTable;
  jobs: JobsTable;
  readiness_probe: ReadinessProbeTable;
  reports: ReportsTable;
  chat_migrations: ChatMigrationsTable;
  assistant_units: AssistantUnitsTable;
  assistant_answers: AssistantAnswersTable;
  job_dependencies: JobDependenciesTable;
  send_limits: SendLimitsTable;
  nextcloud_breaker: NextcloudBreakerTable;
  known_chantiers: KnownChantiersTable;
  send_log: SendLogTable;
}

/** One row per (slug, update_id) handled: Telegram re-sends on any non-2xx. */
export interface ProcessedUpdatesTable {
  slug: string;
  update_id: number;
  received_at: number;
  /** The synchronous `text` it was answered with, given again if it comes again; null for none. */
  reply: string | null;
}

/** Conversation state per (slug, chat, user); `version` guards concurrent updates. */
export interface ConversationsTable {
  slug: string;
  chat_id: number;
  user_id: number;
  state: string;
  version: number;
  updated_at: number;
}

export type JobState = 'pending' | 'running' | 'done' | 'dead';

export interface JobsTable {
  id: Generated<number>;
  type: string;
  idempotency_key: string;
  payload: string;
  state: JobState;
  priority: number;
  run_at: number;
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** Unique per claim: only that run may renew, record progress or finish the job. */
  lock_token: string | null;
  /** JSON: the steps this job already delivered (a retry resumes after them). */
  progress: string | null;
  /** How many of the jobs it depends on have not ended yet; claimable at 0. */
  waiting_for: Generated<number>;
  /**
   * The lane it joined at its first run, while unfinished, marked as the lane's head once it took
   * its turn: jobs of one lane take effect in id order, each one's effects together (the messages
   * of one Telegram chat; src/queue/job-store.ts, lanes). Null otherwise.
   */
  lane: string | null;
}

/** `job_id` runs only once `depends_on` has ended (done or dead). */
export interface JobDependenciesTable {
  job_id: number;
  depends_on: number;
}

/** A remote said "not before": e.g. Telegram's 429 `retry_after`, per chat or per bot. */
export interface SendLimitsTable {
  scope: string;
  not_before: number;
  reason: string;
}

/** A Telegram send still inside its scope's limit window (a chat, a bot): src/telegram/send-log.ts. */
export interface SendLogTable {
  scope: string;
  sent_at: number;
  /** How many messages it counts for (an album counts each item). */
  messages: number;
}

export interface ReadinessProbeTable {
  id: number;
  checked_at: number;
}

export type ReportStatus = 'received' | 'done' | 'failed';

export interface ReportsTable {
  id: Generated<number>;
  public_id: string;
  kind: string;
  seq: number;
  slug: string;
  source_key: string;
  chat_id: number;
  user_id: number;
  technician_name: string;
  chantier: string;
  text: string;
  /** JSON array of strings. */
  items: string;
  /** JSON array of DraftMedia. */
  media: string;
  status: ReportStatus;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  /** Nextcloud folder (relative to the user's root), once planned. */
  folder: string | null;
  /** JSON ArchivePlan: the file name chosen for each photo. */
  archive_plan: string | null;
  deck_card_id: number | null;
  deck_card_url: string | null;
  /** JSON array of short French lines: what could not be done (told to the technician). */
  problems: Generated<string>;
  delay_notified_at: number | null;
}

export interface ChatMigrationsTable {
  slug: string;
  old_chat_id: number;
  new_chat_id: number;
  migrated_at: number;
}

/** Chantier names the office already has (Nextcloud folders, earlier reports): a cache. */
export interface KnownChantiersTable {
  name: string;
  /** Unix ms of the last time the name was seen. */
  seen_at: number;
}
