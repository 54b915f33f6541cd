import type { EffectJobPayload, EffectJobType } from './effect-jobs.ts';
import type { ConversationState, Draft, DraftMedia, ReportKind } from './state.ts';
import type { Keyboard } from './texts.ts';

/** A message for the technician; the dispatcher decides whether it goes back synchronously. */
export interface Say {
  readonly text: string;
  readonly keyboard?: Keyboard;
}

/**
 * A durable job the conversation asks for. `scope: 'update'` keys it by the update that
 * caused it (a redelivered update enqueues nothing twice); `scope: 'conversation'` keys it by
 * the conversation, for work that must exist once whatever update asks (an album's close).
 */
export type JobEffect = {
  [T in EffectJobType]: {
    readonly kind: 'job';
    readonly job: T;
    readonly key: string;
    readonly scope: 'update' | 'conversation';
    readonly payload: EffectJobPayload<T>;
    readonly runAt?: number;
    /**
     * Runs once this step's answer to the technician has left (or failed for good): a reply
     * that comes later (the assistant's) never overtakes the line that announced it.
     */
    readonly afterAnswer?: true;
  };
}[EffectJobType];

/** A complete report: the dispatcher records it and enqueues its processing. */
export interface ReportEffect {
  readonly kind: 'report';
  /** Unique per conversation; the report's idempotency key. */
  readonly key: string;
  readonly report: NewReport;
}

/** Photos that arrived for a report already created (late album items). */
export interface ReportAdditionEffect {
  readonly kind: 'report-addition';
  readonly reportKey: string;
  readonly media: readonly DraftMedia[];
}

/** A technician's 👍 / 👎 on an assistant's answer. */
export interface FeedbackEffect {
  readonly kind: 'feedback';
  readonly answerId: number;
  readonly helpful: boolean;
}

export type Effect = JobEffect | ReportEffect | ReportAdditionEffect | FeedbackEffect;

export interface NewReport {
  readonly kind: ReportKind;
  readonly chantier: string;
  readonly text: string;
  readonly media: readonly DraftMedia[];
  readonly technician: { readonly userId: number; readonly name: string };
  readonly chatId: number;
}

export interface Outcome {
  readonly state: ConversationState;
  readonly say: readonly Say[];
  readonly effects: readonly Effect[];
}

/** Builds an outcome step by step, keeping the transition functions short. */
export class OutcomeBuilder {
  state: ConversationState;
  private readonly messages: Say[] = [];
  private readonly effects: Effect[] = [];

  constructor(state: ConversationState) {
    this.state = state;
  }

  say(text: string, keyboard?: Keyboard): this {
    this.messages.push(keyboard ? { text, keyboard } : { text });
    return this;
  }

  /** A line that must come before what was already said (e.g. why a draft was set aside). */
  sayFirst(text: string, keyboard?: Keyboard): this {
    this.messages.unshift(keyboard ? { text, keyboard } : { text });
    return this;
  }

  effect(effect: Effect): this {
    this.effects.push(effect);
    return this;
  }

  setDraft(draft: Draft | undefined): this {
    this.state = { ...this.state, draft };
    return this;
  }

  build(): Outcome {
    return { state: this.state, say: this.messages, effects: this.effects };
  }
}
