import type { Event } from './events.ts';
import type { Effect, Say } from './outcome.ts';
import { texts } from './texts.ts';

/**
 * What someone outside `BOT_<SLUG>_ALLOWED_USERS` gets: one polite line, and nothing else
 * recorded. A button tap waits for its answer (it spins until then), so the line is that answer.
 */
export function refusal(event: Event, slug: string): { say: Say[]; effects: Effect[] } {
  if (event.kind === 'edited') return { say: [], effects: [] };
  if (event.kind !== 'button') return { say: [{ text: texts.refused }], effects: [] };
  return {
    say: [],
    effects: [
      {
        kind: 'job',
        job: 'telegram.answer-callback',
        key: 'answer',
        scope: 'update',
        payload: { slug, callbackQueryId: event.callbackQueryId, text: texts.refused },
      },
    ],
  };
}
