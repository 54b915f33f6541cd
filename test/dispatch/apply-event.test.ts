import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/conversation/events.ts';
import type { Db } from '../../src/db/database.ts';
import { applyEvent } from '../../src/dispatch/apply-event.ts';
import { loadKnownChantiers, rememberChantiers } from '../../src/dispatch/known-chantiers.ts';
import { transition } from '../../src/conversation/transition.ts';
import { CHAT_ID, ConversationHarness, MINUTE, SLUG } from '../support/conversation-harness.ts';
import { memoryDatabase } from '../support/database.ts';

// applyEvent reads the known chantiers only for a transition that looks at them
// (src/dispatch/apply-event.ts): whatever the events, it must answer as the pure core does
// when it is always given them.

const KNOWN = ['Müller', 'Dupont Frères'];

let db: Db;
beforeAll(async () => {
  db = await memoryDatabase();
  await rememberChantiers(db, KNOWN, new Date(0));
});
afterAll(() => db.destroy());

type Step = (h: ConversationHarness) => Event;

const step: fc.Arbitrary<Step> = fc.oneof(
  fc
    .constantFrom('start', 'sav', 'fin', 'materiel', 'annuler')
    .map((name) => (h: ConversationHarness) => h.command(name)),
  fc
    .constantFrom('Müller', 'mueller', 'Dupont', 'Nouveau chantier', 'oui', '- câble 10 m', 'RAS')
    .map((text) => (h: ConversationHarness) => h.text(text)),
  fc
    .constantFrom('fin', 'sav', 'materiel', 'reprendre', 'abandonner')
    .map((data) => (h: ConversationHarness) => h.button(data)),
  fc.constantFrom(0, 1).map((index) => (h: ConversationHarness) => h.chantierButton(index)),
  fc
    .constantFrom(undefined, 'Müller')
    .map((caption) => (h: ConversationHarness) => h.photo(caption === undefined ? {} : { caption })),
);

describe('applyEvent', () => {
  it('answers as the conversation does when it is always given the known chantiers', async () => {
    let chat = CHAT_ID;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(step, fc.nat(3 * MINUTE)), { minLength: 1, maxLength: 12 }),
        async (steps) => {
          // The harness makes the events and keeps the expected state; a report the events
          // create adds its chantier to the known ones, so they are read before each event.
          const model = new ConversationHarness();
          const conversation = { slug: SLUG, chatId: ++chat, userId: chat };
          for (const [index, [makeEvent, pause]] of steps.entries()) {
            model.advance(pause);
            const event = makeEvent(model);
            const ctx = { slug: SLUG, now: new Date(model.now), settings: model.settings };
            const expected = transition(model.state, event, {
              ...ctx,
              knownChantiers: await loadKnownChantiers(db),
            });
            model.state = expected.state;
            const actual = await db
              .transaction()
              .execute((trx) => applyEvent(trx, conversation, event, `u${chat}-${index}`, ctx));
            expect(actual.say).toEqual(expected.say);
            expect(actual.state).toEqual(expected.state);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
