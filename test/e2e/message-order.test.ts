import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SAFETY_LINE } from '../../src/assistant/safety.ts';
import { texts } from '../../src/conversation/texts.ts';
import type { ScriptedFailure } from '../../stand-ins/telegram-stand-in.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../../stand-ins/ollama-stand-in.ts';
import { ADMIN_AUTH, ADMIN_TOKEN } from '../support/admin.ts';
import {
  NEXTCLOUD_PASSWORD,
  type Remotes,
  type ReportHarness,
  startHarness,
  startRemotes,
} from '../support/report-harness.ts';
import { buttonUpdate, TECHNICIAN, textUpdate } from '../support/updates.ts';

/**
 * The technician reads his messages in the order that makes sense: "✅ SAV-… enregistré" before
 * the assistant's leads on that SAV, "🔎 Je cherche des pistes…" before the answer it announces,
 * even when Telegram is slow to take the first one, or refuses it for good.
 */

let remotes: Remotes;
let ollama: OllamaStandIn;
let h: ReportHarness;
beforeAll(async () => {
  remotes = await startRemotes();
  ollama = await OllamaStandIn.start();
});
afterAll(async () => {
  await remotes.close();
  await ollama.close();
});
/** The stand-ins serve the whole file: what the chat held before this test. */
let earlier = 0;
beforeEach(async () => {
  earlier = remotes.telegram.messagesIn(TECHNICIAN.id).length;
  await remotes.webdav.control({ reset: true });
  h = await startHarness(remotes, {
    ASSISTANT_ENABLED: 'true',
    OLLAMA_URL: ollama.url,
    OLLAMA_MODEL: STAND_IN_CHAT_MODEL,
    OLLAMA_EMBED_MODEL: STAND_IN_EMBED_MODEL,
    ASSISTANT_KNOWLEDGE_DIR: 'knowledge/Wiki_SAV',
    ADMIN_TOKEN,
  });
});
afterEach(async () => h.close());

const slowly: ScriptedFailure = { kind: 'serverError' };
const refused: ScriptedFailure = {
  kind: 'error',
  status: 400,
  description: 'Bad Request: message is too long',
};

describe('a SAV report with the assistant', () => {
  const confirmationOf = (text: unknown) => String(text).startsWith('✅ SAV-');

  it('confirms the report before sending the leads, even when the confirmation is retried', async () => {
    remotes.telegram.failMatching('sendMessage', (p) => confirmationOf(p.text), slowly, 3);
    await h.post(buttonUpdate('sav', 80));
    await h.post(textUpdate('Huber / onduleur Fronius affiche State 567'));
    await h.drain();
    const order = delivered();
    const confirmation = order.findIndex(confirmationOf);
    const answer = order.findIndex((t) => t.startsWith(SAFETY_LINE));
    expect(confirmation).toBeGreaterThanOrEqual(0);
    expect(answer).toBeGreaterThan(confirmation);
  });

  it('still sends the leads when Telegram refuses the confirmation for good', async () => {
    remotes.telegram.failMatching('sendMessage', (p) => confirmationOf(p.text), refused, 1);
    await h.post(buttonUpdate('sav', 80));
    await h.post(textUpdate('Huber / onduleur Fronius affiche State 567'));
    await h.drain();
    expect(delivered().filter((t) => t.startsWith(SAFETY_LINE) && t.includes('🎫 SAV-0001'))).toHaveLength(1);
    const dead = await h.db
      .selectFrom('jobs')
      .select('idempotency_key')
      .where('state', '=', 'dead')
      .execute();
    expect(dead.map((job) => job.idempotency_key)).toEqual(['report:1:confirmation']);
  });
});

describe('the menu, a tap on ⚠️ Alerte SAV, then the SAV (make send SAMPLE="start button-sav sav-text")', () => {
  const prompt = (text: unknown) => text === texts.start.sav;

  it('shows the prompt before the SAV is confirmed, even when Telegram takes the prompt late', async () => {
    // The prompt waits for the pace behind the menu, then Telegram fails it once: the SAV's
    // confirmation and leads, ready meanwhile, wait for it rather than take its place.
    remotes.telegram.failMatching('sendMessage', (p) => prompt(p.text), slowly, 1);
    await h.post(textUpdate('/start'));
    await h.post(buttonUpdate('sav', 80));
    await h.post(textUpdate('Müller / PAC ne démarre plus après coupure EDF'));
    await h.drain();
    const order = delivered();
    expect(order).toHaveLength(4);
    expect(order.slice(0, 2)).toEqual([texts.greeting('Jean'), texts.start.sav]);
    expect(order[2]).toMatch(/^✅ SAV-0001 — Müller/u);
    expect(order[3]!.startsWith(SAFETY_LINE)).toBe(true);
  });
});

describe('a SAV report while Nextcloud refuses the app password', () => {
  it('gets its leads after its on-hold confirmation, without waiting for the office; the card gets them after the resume', async () => {
    await remotes.webdav.control({ password: 'fake-revoked-password' });
    remotes.deck.setPassword('fake-revoked-password');
    try {
      await h.post(buttonUpdate('sav', 80));
      await h.post(textUpdate('Huber / onduleur Fronius affiche State 567'));
      // Nextcloud's jobs wait while the breaker is open: a few simulated minutes, not "until done".
      for (let second = 0; second < 120; second++) {
        await h.background.worker.runOnce();
        h.clock.advance(1_000);
      }
      const onHold = delivered();
      const confirmation = onHold.findIndex((text) => text.startsWith('✅ SAV-0001'));
      expect(onHold[confirmation]).toContain('Archivage Nextcloud en attente');
      const leads = onHold.findIndex((text) => text.startsWith(SAFETY_LINE) && text.includes('🎫 SAV-0001'));
      expect(leads).toBeGreaterThan(confirmation);
    } finally {
      await remotes.webdav.control({ password: null });
      remotes.deck.setPassword(NEXTCLOUD_PASSWORD);
    }
    const resume = await h.inject({ method: 'POST', url: '/admin/nextcloud/resume', headers: ADMIN_AUTH });
    expect(resume).toEqual({ status: 200, body: { resumed: true } });
    h.clock.advance(60_000);
    await h.drain();

    expect(delivered().filter((text) => text.startsWith(SAFETY_LINE))).toHaveLength(1);
    const report = await h.db
      .selectFrom('reports')
      .select('deck_card_id')
      .where('public_id', '=', 'SAV-0001')
      .executeTakeFirstOrThrow();
    const comments = remotes.deck.store.allComments(report.deck_card_id!);
    expect(comments.map((comment) => comment.message)).toEqual([
      expect.stringMatching(/^🤖 Pistes de l’assistant/u),
    ]);
    expect(
      await h.db.selectFrom('jobs').select('idempotency_key').where('state', '=', 'dead').execute(),
    ).toEqual([]);
  });
});

describe('the 🔎 button under a free text', () => {
  it('says "je cherche" before the answer, even when that line is retried', async () => {
    await h.post(textUpdate('onduleur Fronius affiche State 567'));
    await h.drain();
    remotes.telegram.failMatching('sendMessage', (p) => p.text === texts.questionReceived, slowly, 3);
    await h.post(buttonUpdate('question', 81));
    await h.drain();
    const order = delivered();
    const searching = order.indexOf(texts.questionReceived);
    const answer = order.findIndex((t) => t.startsWith(SAFETY_LINE));
    expect(searching).toBeGreaterThanOrEqual(0);
    expect(answer).toBeGreaterThan(searching);
  });
});

/** The texts the technician's chat received during this test, oldest first: those Telegram took. */
const delivered = () =>
  remotes.telegram
    .messagesIn(TECHNICIAN.id)
    .slice(earlier)
    .map((message) => ('text' in message ? (message.text ?? '') : ''));
