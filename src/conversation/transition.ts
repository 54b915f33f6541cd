import type { Effect } from './effects.ts';
import type { Event } from './events.ts';
import type { ConversationState } from './state.ts';
import { texts } from './texts.ts';

export interface Outcome {
  readonly state: ConversationState;
  readonly effects: readonly Effect[];
  /** Plain text for the gateway to relay to the technician, if any. */
  readonly reply: string | undefined;
}

/** The conversation: a pure function of (state, event, clock). */
export function transition(state: ConversationState, event: Event, _now: Date): Outcome {
  if (event.kind === 'command' && event.command === 'start') {
    return { state, effects: [], reply: texts.greeting(event.sender.firstName) };
  }
  return { state, effects: [], reply: undefined };
}
