import { chantierChoiceData } from '../../src/conversation/chantier-choice.ts';
import type { Event, ImageHint, Sender } from '../../src/conversation/events.ts';
import type { Effect, Outcome, Say } from '../../src/conversation/outcome.ts';
import { DEFAULT_SETTINGS, type ConversationSettings } from '../../src/conversation/settings.ts';
import { type ConversationState, type Draft, INITIAL_STATE } from '../../src/conversation/state.ts';
import { type ConversationEvent, transition } from '../../src/conversation/transition.ts';
import { menuKeyboard, setAsideKeyboard } from '../../src/conversation/texts.ts';

/**
 * Drives the pure conversation core by hand: builds technician events with fresh message ids,
 * keeps the state between events and moves an injected clock. No I/O, no database.
 */

export const SLUG = 'etm-terrain';
export const CHAT_ID = 111111111;
export const JEAN: Sender = { userId: CHAT_ID, firstName: 'Jean', lastName: 'Test', username: 'jean_test' };

/** 2026-03-25T14:30:00Z, as the test app's clock starts. */
export const START_MS = Date.UTC(2026, 2, 25, 14, 30);

export const MINUTE = 60_000;

/** The office already has a folder for Müller: answering « Müller » needs no confirmation. */
export const KNOWN_CHANTIERS: readonly string[] = ['Müller'];

export interface PhotoOptions {
  readonly caption?: string;
  readonly mediaGroupId?: string;
  readonly messageId?: number;
}

export interface DocumentOptions {
  readonly mimeType?: string;
  readonly fileName?: string;
  readonly caption?: string;
  readonly image: ImageHint;
  readonly fileSize?: number;
  readonly mediaGroupId?: string;
}

export interface ButtonOptions {
  readonly messageId?: number;
  readonly accessible?: boolean;
}

export class ConversationHarness {
  state: ConversationState;
  now: number;
  readonly settings: ConversationSettings;
  /** The chantiers the office already has, as the dispatcher reads them from its cache. */
  readonly knownChantiers: readonly string[];
  private nextMessageId = 100;
  private nextQuery = 1;

  constructor(
    options: {
      state?: ConversationState;
      settings?: ConversationSettings;
      now?: number;
      knownChantiers?: readonly string[];
    } = {},
  ) {
    this.state = options.state ?? INITIAL_STATE;
    this.settings = options.settings ?? DEFAULT_SETTINGS;
    this.now = options.now ?? START_MS;
    this.knownChantiers = options.knownChantiers ?? KNOWN_CHANTIERS;
  }

  /** A copy at the same point, to try several events from one state. */
  fork(): ConversationHarness {
    const copy = new ConversationHarness({
      state: this.state,
      settings: this.settings,
      now: this.now,
      knownChantiers: this.knownChantiers,
    });
    copy.nextMessageId = this.nextMessageId;
    copy.nextQuery = this.nextQuery;
    return copy;
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  /** Runs one event through the core and keeps the new state. */
  send(event: ConversationEvent): Outcome {
    const outcome = transition(this.state, event, {
      slug: SLUG,
      now: new Date(this.now),
      settings: this.settings,
      knownChantiers: this.knownChantiers,
    });
    this.state = outcome.state;
    return outcome;
  }

  /** Runs several events; returns the last outcome. */
  sendAll(events: readonly ConversationEvent[]): Outcome {
    let last: Outcome | undefined;
    for (const event of events) last = this.send(event);
    if (!last) throw new Error('sendAll needs at least one event');
    return last;
  }

  get draft(): Draft | undefined {
    return this.state.draft;
  }

  command(name: string, args = ''): Event {
    return { ...this.base(), kind: 'command', command: name, args };
  }

  text(text: string): Event {
    return { ...this.base(), kind: 'text', text };
  }

  photo(options: PhotoOptions = {}): Event {
    const base = this.base(options.messageId);
    const n = base.origin.messageId;
    return {
      ...base,
      kind: 'photo',
      media: {
        fileId: `photo-${n}`,
        fileUniqueId: `unique-${n}`,
        fileSize: 1000 + n,
        mimeType: 'image/jpeg',
        fileName: undefined,
      },
      caption: options.caption,
      mediaGroupId: options.mediaGroupId,
      takenAt: base.origin.date,
    };
  }

  video(options: PhotoOptions & { readonly fileSize?: number } = {}): Event {
    const base = this.base(options.messageId);
    const n = base.origin.messageId;
    return {
      ...base,
      kind: 'video',
      media: {
        fileId: `video-${n}`,
        fileUniqueId: `unique-video-${n}`,
        fileSize: options.fileSize ?? 2_000_000,
        mimeType: 'video/mp4',
        fileName: undefined,
      },
      caption: options.caption,
      mediaGroupId: options.mediaGroupId,
      takenAt: base.origin.date,
    };
  }

  /** `count` items of one album; the caption (if any) on item `captionOn` (0-based). */
  album(
    mediaGroupId: string,
    count: number,
    caption?: { readonly text: string; readonly on: number },
  ): Event[] {
    return Array.from({ length: count }, (_, index) =>
      this.photo({ mediaGroupId, ...(caption?.on === index ? { caption: caption.text } : {}) }),
    );
  }

  document(options: DocumentOptions): Event {
    const base = this.base();
    const n = base.origin.messageId;
    return {
      ...base,
      kind: 'document',
      image: options.image,
      media: {
        fileId: `doc-${n}`,
        fileUniqueId: `unique-doc-${n}`,
        fileSize: options.fileSize ?? 5000,
        mimeType: options.mimeType,
        fileName: options.fileName,
      },
      caption: options.caption,
      mediaGroupId: options.mediaGroupId,
      takenAt: base.origin.date,
    };
  }

  voice(): Event {
    return { ...this.base(), kind: 'voice' };
  }

  edited(text: string): Event {
    return { ...this.base(), kind: 'edited', text };
  }

  other(): Event {
    return { ...this.base(), kind: 'other' };
  }

  button(data: string, options: ButtonOptions = {}): Event {
    const accessible = options.accessible ?? true;
    return {
      kind: 'button',
      sender: JEAN,
      origin: {
        chatId: CHAT_ID,
        messageId: options.messageId ?? 42,
        date: accessible ? Math.floor(this.now / 1000) : 0,
      },
      callbackQueryId: `cbq-${this.nextQuery++}`,
      data,
      messageAccessible: accessible,
    };
  }

  /**
   * A tap on the chantier button at `index` of the question open now (its data names the chantier
   * it shows, src/conversation/chantier-choice.ts); with no such button, the data of one that was.
   */
  chantierButton(index: number, options: ButtonOptions = {}): Event {
    const name = this.state.draft?.chantierChoices?.[index];
    return this.button(chantierChoiceData(index, name ?? 'un chantier plus proposé'), options);
  }

  albumClosed(mediaGroupId: string): ConversationEvent {
    return { kind: 'album-closed', mediaGroupId };
  }

  private base(messageId?: number) {
    const id = messageId ?? this.nextMessageId++;
    return {
      sender: JEAN,
      origin: { chatId: CHAT_ID, messageId: id, date: Math.floor(this.now / 1000) },
    };
  }
}

/** A say as tests read it: the text and which keyboard it carries, by name. */
export interface SaySummary {
  readonly text: string;
  readonly keyboard?: 'menu' | 'set-aside' | 'other';
}

export function summariseSays(says: readonly Say[]): SaySummary[] {
  return says.map((say) => {
    if (!say.keyboard) return { text: say.text };
    if (say.keyboard === menuKeyboard) return { text: say.text, keyboard: 'menu' };
    if (say.keyboard === setAsideKeyboard) return { text: say.text, keyboard: 'set-aside' };
    return { text: say.text, keyboard: 'other' };
  });
}

/** A draft as tests read it: what the technician sent so far. */
export interface DraftSummary {
  readonly kind: Draft['kind'];
  readonly chantier: string | undefined;
  readonly text: string | undefined;
  readonly photos: number;
  readonly awaiting: Draft['awaiting'];
  readonly openAlbums: readonly string[];
}

export function summariseDraft(draft: Draft | undefined): DraftSummary | undefined {
  if (!draft) return undefined;
  return {
    kind: draft.kind,
    chantier: draft.chantier,
    text: draft.text,
    photos: draft.media.length,
    awaiting: draft.awaiting,
    openAlbums: draft.openAlbums.map((album) => album.mediaGroupId),
  };
}

/** The kinds of effects, in order, e.g. `job:telegram.answer-callback`, `report:sav`. */
export function effectKinds(effects: readonly Effect[]): string[] {
  return effects.map((effect) => {
    switch (effect.kind) {
      case 'job':
        return `job:${effect.job}`;
      case 'report':
        return `report:${effect.report.kind}`;
      case 'report-addition':
        return 'report-addition';
      case 'feedback':
        return `feedback:${effect.helpful ? 'helpful' : 'not-helpful'}`;
    }
  });
}

export function reportEffects(effects: readonly Effect[]) {
  return effects.flatMap((effect) => (effect.kind === 'report' ? [effect] : []));
}
