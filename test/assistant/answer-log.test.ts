import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAnswer, recordFeedback } from '../../src/assistant/answer-log.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import type { AssistantAnswer } from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import { TestClock } from '../support/database.ts';
import { assistantDatabase } from './assistant-database.ts';

let db: Kysely<Database & AssistantDatabase>;
const clock = new TestClock();
beforeEach(async () => {
  db = await assistantDatabase();
});
afterEach(async () => {
  await db.destroy();
});

const answer: AssistantAnswer = {
  kind: 'known-fix',
  text: '⚠️ …\n💡 Solution connue',
  cut: false,
  confidence: 82,
  sources: [
    { ref: undefined, unitId: 'onduleurs/fronius-state-567.md', title: 'Fronius', link: 'x', score: 0.82 },
  ],
  scores: { top: 0.82, second: 0.37 },
  droppedLeads: 0,
  choices: [],
  retrieval: 'hybrid',
  chat: undefined,
};

describe('answer log', () => {
  it('records an answer once per key, with its scores', async () => {
    const id = await recordAnswer(db, 'SAV-0042', 'State 567', answer, clock.now());
    expect(await recordAnswer(db, 'SAV-0042', 'State 567', answer, clock.now())).toBe(id);
    const rows = await db.selectFrom('assistant_answers').selectAll().execute();
    expect(rows).toEqual([
      expect.objectContaining({
        id,
        key: 'SAV-0042',
        kind: 'known-fix',
        top_unit_id: 'onduleurs/fronius-state-567.md',
        top_score: 0.82,
        second_score: 0.37,
        feedback: null,
      }),
    ]);
  });

  it('stores the latest feedback, and says when the answer does not exist', async () => {
    const id = await recordAnswer(db, 'SAV-0043', 'State 567', answer, clock.now());
    expect(await recordFeedback(db, id, 'not-helpful', clock.now())).toBe(true);
    clock.advance(1000);
    expect(await recordFeedback(db, id, 'helpful', clock.now())).toBe(true);
    expect(await recordFeedback(db, id + 1, 'helpful', clock.now())).toBe(false);
    const row = await db
      .selectFrom('assistant_answers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ feedback: 'helpful', feedback_at: clock.now().getTime() });
  });
});
