import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ASSISTANT_UNAVAILABLE, assistantUnavailableForReport } from '../../src/assistant/answer-text.ts';
import { assistantJobs } from '../../src/assistant/assistant-job-kinds.ts';
import { assistantHandlers } from '../../src/assistant/assistant-jobs.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import { type SavAssistant } from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { listJobs, retryDeadJob } from '../../src/queue/job-store.ts';
import { Worker } from '../../src/queue/worker.ts';
import { reportConfirmedKey, reportJobKey, reportJobs } from '../../src/reports/report-jobs.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL } from '../../stand-ins/ollama-stand-in.ts';
import { TestClock } from '../support/database.ts';
import { assistantDatabase } from './assistant-database.ts';
import { insertSavReport } from './sav-report.ts';
import { testWorker } from '../support/test-worker.ts';
import { standInAssistant } from './stand-in-assistant.ts';

/**
 * A question, or a SAV report's leads, that the assistant cannot answer for good (the chat model
 * is not pulled, Ollama stays down) is said to the technician once, in French, and never beside
 * a real answer: an admin retry that answers later sends nothing more.
 */

const QUESTION = 'le chauffe-eau thermodynamique fait un bruit bizarre';

let ollama: OllamaStandIn;
let db: Kysely<Database & AssistantDatabase>;
let clock: TestClock;
let assistant: SavAssistant;
let worker: Worker;
beforeEach(async () => {
  ollama = await OllamaStandIn.start();
  db = await assistantDatabase();
  clock = new TestClock();
  assistant = standInAssistant(ollama.url, db, { clock: clock.now });
  worker = testWorker({
    db,
    // No Telegram handler: the messages stay queued, where the test reads them.
    handlers: assistantHandlers({ db, assistant, cards: undefined, hasBotApi: () => true }),
    clock: clock.now,
  });
});
afterEach(async () => {
  await assistant.close();
  await ollama.close();
  await db.destroy();
});

async function ask(): Promise<void> {
  await enqueue(
    db,
    assistantJobs['assistant.answer-question'],
    {
      idempotencyKey: 'etm:question:1',
      payload: { slug: 'etm', chatId: 7, question: QUESTION, key: 'q:7:100' },
    },
    clock.now(),
  );
}

/** Drains the queue `times` times, an hour apart: far past every backoff delay. */
async function runHours(times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    await worker.runOnce();
    clock.advance(60 * 60_000);
  }
}

async function jobOf(type: string) {
  const [job, other] = await listJobs(db, { type });
  expect(other).toBeUndefined();
  return job!;
}

/** The Telegram messages queued, with their key and payload. */
async function messages(): Promise<{ key: string; chatId: number; text: string }[]> {
  const jobs = await listJobs(db, { type: 'telegram.send-message' });
  return jobs.map((job) => {
    const payload = JSON.parse(job.payload) as { chatId: number; text: string };
    return { key: job.idempotency_key, chatId: payload.chatId, text: payload.text };
  });
}

describe('assistant.answer-question', () => {
  it('answers a question when Ollama is there (control)', async () => {
    await ask();
    await runHours(1);
    expect((await jobOf('assistant.answer-question')).state).toBe('done');
    const sent = await messages();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ key: 'etm:q:7:100:answer', chatId: 7 });
    expect(sent[0]!.text).not.toBe(ASSISTANT_UNAVAILABLE);
  });

  it('tells the technician once when the chat model is missing (refused at once)', async () => {
    ollama.remove(STAND_IN_CHAT_MODEL);
    await ask();
    await runHours(6);
    expect((await jobOf('assistant.answer-question')).state).toBe('dead');
    expect(await messages()).toEqual([{ key: 'etm:q:7:100:answer', chatId: 7, text: ASSISTANT_UNAVAILABLE }]);
  });

  it('tells the technician once when Ollama stays down through every attempt', async () => {
    ollama.failNext('/api/chat', { kind: 'disconnect' }, 10);
    await ask();
    await runHours(10);
    expect((await jobOf('assistant.answer-question')).state).toBe('dead');
    expect(await messages()).toEqual([{ key: 'etm:q:7:100:answer', chatId: 7, text: ASSISTANT_UNAVAILABLE }]);
  });

  it('still answers when Ollama comes back within a few minutes (a restart)', async () => {
    ollama.failNext('/api/chat', { kind: 'disconnect' }, 6);
    await ask();
    await runHours(8);
    expect((await jobOf('assistant.answer-question')).state).toBe('done');
    const sent = await messages();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).not.toBe(ASSISTANT_UNAVAILABLE);
  });

  it('sends nothing more when an admin retry answers after the technician was told', async () => {
    ollama.remove(STAND_IN_CHAT_MODEL);
    await ask();
    await runHours(2);
    const dead = await jobOf('assistant.answer-question');
    expect(dead.state).toBe('dead');
    ollama.pull(STAND_IN_CHAT_MODEL);
    expect(await retryDeadJob(db, dead.id, clock.now())).toBe(true);
    await runHours(2);
    expect((await jobOf('assistant.answer-question')).state).toBe('done');
    // The answer is kept in the log; the technician keeps the one line he had.
    const logged = await db.selectFrom('assistant_answers').select('key').execute();
    expect(logged.map((row) => row.key)).toEqual(['q:7:100']);
    expect(await messages()).toEqual([{ key: 'etm:q:7:100:answer', chatId: 7, text: ASSISTANT_UNAVAILABLE }]);
  });

  it('says nothing of a failure when an admin retry runs before the watcher did', async () => {
    ollama.remove(STAND_IN_CHAT_MODEL);
    await ask();
    // Only the question's own job: it dies, its watcher becomes runnable but does not run yet.
    const first = await worker.startOne();
    await first!.done;
    const dead = await jobOf('assistant.answer-question');
    expect(dead.state).toBe('dead');
    ollama.pull(STAND_IN_CHAT_MODEL);
    expect(await retryDeadJob(db, dead.id, clock.now())).toBe(true);
    await runHours(2);
    const sent = await messages();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).not.toBe(ASSISTANT_UNAVAILABLE);
  });
});

describe('assistant.answer-report', () => {
  it('tells the technician once, after the report’s confirmation, when the leads die', async () => {
    const report = await db.transaction().execute((trx) => insertSavReport(trx, clock.now()));
    // A text no known fix answers: the chat model must write the leads.
    await db.updateTable('reports').set({ text: QUESTION }).where('id', '=', report.id).execute();
    // The milestone the answer waits on (src/reports/report-jobs.ts): not run here.
    await enqueue(
      db,
      reportJobs['report.confirmed'],
      { idempotencyKey: reportConfirmedKey(report.id), payload: { reportId: report.id } },
      clock.now(),
    );
    await enqueue(
      db,
      assistantJobs['assistant.answer-report'],
      { idempotencyKey: reportJobKey(report.id, 'assistant'), payload: { reportId: report.id } },
      clock.now(),
    );
    ollama.remove(STAND_IN_CHAT_MODEL);
    await runHours(8);
    expect((await jobOf('assistant.answer-report')).state).toBe('dead');
    const [message, other] = await listJobs(db, { type: 'telegram.send-message' });
    expect(other).toBeUndefined();
    expect(message!.idempotency_key).toBe(`report:${report.id}:assistant-answer`);
    expect(JSON.parse(message!.payload)).toEqual({
      slug: 'etm',
      chatId: 7,
      text: assistantUnavailableForReport('SAV-0001'),
    });
    // Never before the "✅ SAV-…" confirmation.
    expect(message!.waiting_for).toBe(1);
  });
});
