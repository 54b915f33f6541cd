import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assistantUnavailableForReport } from '../../src/assistant/answer-text.ts';
import { assistantJobs } from '../../src/assistant/assistant-job-kinds.ts';
import { assistantHandlers, type SavAssistant } from '../../src/assistant/assistant-jobs.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import type { Database } from '../../src/db/schema.ts';
import { createDeckClient, type DeckClient, upsertReportCard } from '../../src/nextcloud/deck-client.ts';
import { DeckTransportError } from '../../src/nextcloud/deck-errors.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { listJobs, retryDeadJob } from '../../src/queue/job-store.ts';
import { Worker } from '../../src/queue/worker.ts';
import type { CardPort } from '../../src/reports/report-deps.ts';
import { reportJobKey, reportJobs } from '../../src/reports/report-jobs.ts';
import { type DeckStandIn, startDeckStandIn } from '../../stand-ins/deck-stand-in.ts';
import { OllamaStandIn } from '../../stand-ins/ollama-stand-in.ts';
import { TestClock } from '../support/database.ts';
import { assistantDatabase } from './assistant-database.ts';
import { insertSavReport, SAV_TEXT } from './sav-report.ts';
import { testWorker } from '../support/test-worker.ts';
import { standInAssistant } from './stand-in-assistant.ts';

const USER = 'etm-bot';
const PASSWORD = 'fake-app-password-not-real';

let deck: DeckStandIn;
let client: DeckClient;
let db: Kysely<Database & AssistantDatabase>;
let clock: TestClock;
beforeEach(async () => {
  deck = await startDeckStandIn({ user: USER, password: PASSWORD });
  client = createDeckClient({ url: deck.url, user: USER, password: PASSWORD });
  db = await assistantDatabase();
  clock = new TestClock();
});
afterEach(async () => {
  await client.close();
  await deck.close();
  await db.destroy();
});

/** Deck stores the comment, then the answer is lost (a time-out, or the process killed then). */
function losingFirstAnswer(): CardPort {
  let lost = false;
  return {
    upsertCard: () => Promise.reject(new Error('not used')),
    reviseCard: () => Promise.reject(new Error('not used')),
    findComment: (cardId, marker) => client.findComment(cardId, marker),
    async addComment(cardId, message) {
      const id = await client.addComment(cardId, message);
      if (lost) return id;
      lost = true;
      throw new DeckTransportError(
        'addComment',
        `POST ocs /cards/${cardId}/comments`,
        new Error('socket hang up'),
      );
    },
  };
}

async function savReportWithCard(): Promise<{ reportId: number; cardId: number }> {
  const card = await upsertReportCard(client, {
    boardTitle: 'ETM Chantiers',
    stackTitle: 'SAV',
    marker: 'SAV-0042',
    title: '🚨 Müller — Alerte SAV (SAV-0042)',
    description: '**Rapport :** SAV-0042',
  });
  const report = await db.transaction().execute(async (trx) => {
    const row = await insertSavReport(trx, clock.now());
    await trx
      .insertInto('assistant_answers')
      .values({
        key: `report:${row.id}`,
        question: SAV_TEXT,
        kind: 'leads',
        text: '⚠️ Couper l’alimentation\n1. Vérifier le capteur',
        created_at: clock.now().getTime(),
      })
      .execute();
    return row;
  });
  await db.updateTable('reports').set({ deck_card_id: card.cardId }).where('id', '=', report.id).execute();
  return { reportId: report.id, cardId: card.cardId };
}

describe('assistant.deck-comment', () => {
  it('posts the comment once when Deck stored it but the answer was lost', async () => {
    const { reportId, cardId } = await savReportWithCard();
    const worker = testWorker({
      db,
      // The comment job never calls the model: no assistant is needed to run it.
      handlers: assistantHandlers({
        db,
        assistant: {} as SavAssistant,
        cards: losingFirstAnswer(),
        hasBotApi: () => false,
      }),
      clock: clock.now,
    });
    await enqueue(
      db,
      assistantJobs['assistant.deck-comment'],
      { idempotencyKey: 'comment', payload: { reportId } },
      clock.now(),
    );
    await worker.runOnce();
    expect((await listJobs(db))[0]).toMatchObject({ state: 'pending', attempts: 1 });
    clock.advance(15 * 60_000);
    await worker.runOnce();
    expect((await listJobs(db))[0]!.state).toBe('done');
    const comments = deck.store.allComments(cardId);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.message.split('\n').at(-1)).toBe('🎫 SAV-0001');
  });
});

describe('assistant.deck-comment after an admin retry of the leads', () => {
  let ollama: OllamaStandIn;
  let assistant: SavAssistant;
  beforeEach(async () => {
    ollama = await OllamaStandIn.start();
    assistant = standInAssistant(ollama.url, db, { clock: clock.now });
  });
  afterEach(async () => {
    await assistant.close();
    await ollama.close();
  });

  const deckCards: CardPort = {
    upsertCard: () => Promise.reject(new Error('not used')),
    reviseCard: () => Promise.reject(new Error('not used')),
    findComment: (cardId, marker) => client.findComment(cardId, marker),
    addComment: (cardId, message) => client.addComment(cardId, message),
  };

  async function runQuarterHours(worker: Worker, times: number): Promise<void> {
    for (let i = 0; i < times; i += 1) {
      await worker.runOnce();
      clock.advance(15 * 60_000);
    }
  }

  it('posts the leads under the card when a retry answers after the plan’s comment ran without them', async () => {
    const card = await upsertReportCard(client, {
      boardTitle: 'ETM Chantiers',
      stackTitle: 'SAV',
      marker: 'SAV-0001',
      title: '🚨 Müller — Alerte SAV (SAV-0001)',
      description: '**Rapport :** SAV-0001',
    });
    const report = await db.transaction().execute((trx) => insertSavReport(trx, clock.now()));
    // A text no known fix answers: the chat model writes the leads.
    await db
      .updateTable('reports')
      .set({ deck_card_id: card.cardId, text: 'le chauffe-eau thermodynamique fait un bruit bizarre' })
      .where('id', '=', report.id)
      .execute();
    const worker = testWorker({
      db,
      handlers: {
        ...assistantHandlers({ db, assistant, cards: deckCards, hasBotApi: () => true }),
        // The card exists already: its job only has to end.
        'report.deck-card': { kind: reportJobs['report.deck-card'], run: async () => undefined },
      },
      clock: clock.now,
    });
    // What the report's plan enqueues (src/reports/jobs/sav-leads.ts).
    const payload = { reportId: report.id };
    await enqueue(
      db,
      reportJobs['report.deck-card'],
      { idempotencyKey: reportJobKey(report.id, 'deck'), payload },
      clock.now(),
    );
    await enqueue(
      db,
      assistantJobs['assistant.answer-report'],
      { idempotencyKey: reportJobKey(report.id, 'assistant'), payload },
      clock.now(),
    );
    await enqueue(
      db,
      assistantJobs['assistant.deck-comment'],
      {
        idempotencyKey: reportJobKey(report.id, 'assistant-comment'),
        payload,
        after: [reportJobKey(report.id, 'deck'), reportJobKey(report.id, 'assistant')],
      },
      clock.now(),
    );
    ollama.failNext(
      '/api/chat',
      { kind: 'status', status: 500, error: 'llama runner process has terminated' },
      6,
    );
    await runQuarterHours(worker, 8);
    const [leads] = await listJobs(db, { type: 'assistant.answer-report' });
    expect(leads!.state).toBe('dead');
    expect(deck.store.allComments(card.cardId)).toHaveLength(0);

    expect(await retryDeadJob(db, leads!.id, clock.now())).toBe(true);
    await runQuarterHours(worker, 3);
    expect((await listJobs(db, { type: 'assistant.answer-report' }))[0]!.state).toBe('done');
    // The technician keeps the one line he had: the retried leads are not sent beside it.
    const messages = await listJobs(db, { type: 'telegram.send-message' });
    expect(messages.map((job) => (JSON.parse(job.payload) as { text: string }).text)).toEqual([
      assistantUnavailableForReport('SAV-0001'),
    ]);
    // The office gets them under the card, told the technician did not.
    const comments = deck.store.allComments(card.cardId);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.message.split('\n')[0]).toBe(
      '🤖 Pistes de l’assistant (le technicien ne les a pas reçues) :',
    );
    expect(comments[0]!.message.split('\n').at(-1)).toBe('🎫 SAV-0001');
  });
});
