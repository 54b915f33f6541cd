import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assistantJobs } from '../../src/assistant/assistant-job-kinds.ts';
import { assistantHandlers, type SavAssistant } from '../../src/assistant/assistant-jobs.ts';
import type { Db } from '../../src/db/database.ts';
import { decideFailure } from '../../src/job-failure.ts';
import { createDeckClient, type DeckClient, upsertReportCard } from '../../src/nextcloud/deck-client.ts';
import { DeckTransportError } from '../../src/nextcloud/deck-errors.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { listJobs } from '../../src/queue/job-store.ts';
import { Worker } from '../../src/queue/worker.ts';
import type { CardPort } from '../../src/reports/report-deps.ts';
import { type DeckStandIn, startDeckStandIn } from '../../stand-ins/deck-stand-in.ts';
import { memoryDatabase, TestClock } from '../support/database.ts';
import { insertSavReport, SAV_TEXT } from './sav-report.ts';

const USER = 'etm-bot';
const PASSWORD = 'fake-app-password-not-real';

let deck: DeckStandIn;
let client: DeckClient;
let db: Db;
let clock: TestClock;
beforeEach(async () => {
  deck = await startDeckStandIn({ user: USER, password: PASSWORD });
  client = createDeckClient({ url: deck.url, user: USER, password: PASSWORD });
  db = await memoryDatabase();
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
    const worker = new Worker({
      db,
      // The comment job never calls the model: no assistant is needed to run it.
      handlers: assistantHandlers({
        db,
        assistant: {} as SavAssistant,
        cards: losingFirstAnswer(),
        hasBotApi: () => false,
      }),
      decide: decideFailure,
      clock: clock.now,
      logger: pino({ level: 'silent' }),
      concurrency: 1,
      random: () => 0,
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
