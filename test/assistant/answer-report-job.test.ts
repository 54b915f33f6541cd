import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assistantJobs } from '../../src/assistant/assistant-job-kinds.ts';
import { assistantHandlers } from '../../src/assistant/assistant-jobs.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import { localFolderSource } from '../../src/assistant/knowledge-source.ts';
import { type SavAssistant } from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { listJobs } from '../../src/queue/job-store.ts';
import type { CardPort } from '../../src/reports/report-deps.ts';
import { reportJobKey, reportJobs } from '../../src/reports/report-jobs.ts';
import { OllamaStandIn } from '../../stand-ins/ollama-stand-in.ts';
import { TestClock } from '../support/database.ts';
import { assistantDatabase } from './assistant-database.ts';
import { insertSavReport } from './sav-report.ts';
import { testWorker } from '../support/test-worker.ts';
import { standInAssistant } from './stand-in-assistant.ts';

let ollama: OllamaStandIn;
let db: Kysely<Database & AssistantDatabase>;
let clock: TestClock;
let assistant: SavAssistant;
beforeEach(async () => {
  ollama = await OllamaStandIn.start();
  db = await assistantDatabase();
  clock = new TestClock();
  assistant = standInAssistant(ollama.url, db, {
    knowledge: {
      source: localFolderSource('knowledge/Wiki_SAV'),
      linkBase: 'https://cloud.example.test/sav',
    },
    clock: clock.now,
  });
});
afterEach(async () => {
  await assistant.close();
  await ollama.close();
  await db.destroy();
});

// The leads' job only enqueues the comment: Deck itself is called by the comment's own job.
const unusedDeck: CardPort = {
  upsertCard: () => Promise.reject(new Error('not used')),
  reviseCard: () => Promise.reject(new Error('not used')),
  findComment: () => Promise.reject(new Error('not used')),
  addComment: () => Promise.reject(new Error('not used')),
};

async function savReport(): Promise<number> {
  return (await db.transaction().execute((trx) => insertSavReport(trx, clock.now()))).id;
}

/**
 * The report's card job, as its plan enqueued it. Not run here (no handler for it), so the comment
 * keeps waiting for it and its dependencies can be read.
 */
async function cardJob(reportId: number): Promise<void> {
  await enqueue(
    db,
    reportJobs['report.deck-card'],
    { idempotencyKey: reportJobKey(reportId, 'deck'), payload: { reportId } },
    clock.now(),
  );
}

async function enqueueLeads(reportId: number): Promise<void> {
  await enqueue(
    db,
    assistantJobs['assistant.answer-report'],
    { idempotencyKey: reportJobKey(reportId, 'assistant'), payload: { reportId } },
    clock.now(),
  );
}

/** Runs the leads' job: the assistant's jobs are the only ones this worker takes. */
async function runLeads(): Promise<void> {
  const worker = testWorker({
    db,
    handlers: assistantHandlers({ db, assistant, cards: unusedDeck, hasBotApi: () => false }),
    clock: clock.now,
  });
  await worker.runOnce();
  const leads = await listJobs(db, { type: 'assistant.answer-report' });
  expect(leads.map((job) => job.state)).toEqual(['done']);
}

/** The comment's jobs, each with the keys of the jobs it waits for. */
async function commentJobs(): Promise<{ key: string; after: string[] }[]> {
  const comments = await listJobs(db, { type: 'assistant.deck-comment' });
  return Promise.all(
    comments.map(async (comment) => ({
      key: comment.idempotency_key,
      after: (
        await db
          .selectFrom('job_dependencies')
          .innerJoin('jobs', 'jobs.id', 'job_dependencies.depends_on')
          .select('jobs.idempotency_key')
          .where('job_dependencies.job_id', '=', comment.id)
          .orderBy('jobs.idempotency_key')
          .execute()
      ).map((row) => row.idempotency_key),
    })),
  );
}

describe('assistant.answer-report and the Deck comment', () => {
  it('a leads job queued by an earlier version enqueues the comment itself, after the card’s job', async () => {
    const reportId = await savReport();
    await cardJob(reportId);
    await enqueueLeads(reportId);
    await runLeads();
    expect(await commentJobs()).toEqual([
      { key: reportJobKey(reportId, 'assistant-comment'), after: [reportJobKey(reportId, 'deck')] },
    ]);
  });

  it('on hold, with no card job yet, leaves the comment to the report’s plan', async () => {
    const reportId = await savReport();
    await enqueueLeads(reportId);
    await runLeads();
    expect(await commentJobs()).toEqual([]);
  });

  it('does not double the comment the plan already enqueued', async () => {
    const reportId = await savReport();
    // The plan enqueues the leads, then their comment (src/reports/jobs/sav-leads.ts).
    await cardJob(reportId);
    await enqueueLeads(reportId);
    const planned = [reportJobKey(reportId, 'assistant'), reportJobKey(reportId, 'deck')];
    await enqueue(
      db,
      assistantJobs['assistant.deck-comment'],
      {
        idempotencyKey: reportJobKey(reportId, 'assistant-comment'),
        payload: { reportId },
        after: planned,
      },
      clock.now(),
    );
    await runLeads();
    expect(await commentJobs()).toEqual([
      { key: reportJobKey(reportId, 'assistant-comment'), after: planned },
    ]);
  });
});
