import { EventEmitter } from 'node:events';
import type { TappedCall } from './bot-api-tap.ts';

/**
 * What happened in the sandbox, in order, for the web page: every Update the service answered
 * (from the page, `make send` or anything else) and every Bot API call it made. Kept in memory,
 * bounded, so a page opened later (or reloaded) sees the conversation so far. Also says when
 * the archive, the board or the queue may have changed, without saying what: the page re-reads.
 */

export interface UpdateEntry {
  readonly kind: 'update';
  readonly slug: string;
  readonly update: unknown;
  readonly status: number;
  /** The `text` the gateway would relay, when there is one. */
  readonly reply?: string;
  /** The error message, for a non-2xx answer. */
  readonly error?: string;
  readonly at: number;
}

export type BotApiEntry = TappedCall & { readonly kind: 'botapi' };

export type FeedEntry = (UpdateEntry | BotApiEntry) & { readonly seq: number };

const HISTORY_KEPT = 5000;
/** Several remote calls in a burst become one refresh of the page. */
const CHANGE_DEBOUNCE_MS = 150;

export class ActivityFeed {
  private readonly history: FeedEntry[] = [];
  private readonly events = new EventEmitter();
  private nextSeq = 1;
  private changeTimer: NodeJS.Timeout | undefined;

  constructor() {
    // One listener per open page: more than ten pages is fine.
    this.events.setMaxListeners(0);
  }

  addUpdate(entry: Omit<UpdateEntry, 'kind' | 'at'>): void {
    this.push({ kind: 'update', ...entry, at: Date.now() });
  }

  addBotApiCall(call: TappedCall): void {
    this.push({ kind: 'botapi', ...call });
  }

  entries(): readonly FeedEntry[] {
    return this.history;
  }

  /** Calls `onEntry` for each new entry and `onChange` when the page should re-read its panels. */
  subscribe(onEntry: (entry: FeedEntry) => void, onChange: () => void): () => void {
    this.events.on('entry', onEntry);
    this.events.on('change', onChange);
    return () => {
      this.events.off('entry', onEntry);
      this.events.off('change', onChange);
    };
  }

  subscriberCount(): number {
    return this.events.listenerCount('change');
  }

  /** Something outside the feed changed (files, cards, jobs). */
  changed(): void {
    if (this.changeTimer) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.events.emit('change');
    }, CHANGE_DEBOUNCE_MS);
    this.changeTimer.unref();
  }

  close(): void {
    clearTimeout(this.changeTimer);
    this.events.removeAllListeners();
  }

  private push(entry: UpdateEntry | BotApiEntry): void {
    const full: FeedEntry = { ...entry, seq: this.nextSeq++ };
    this.history.push(full);
    if (this.history.length > HISTORY_KEPT) this.history.splice(0, this.history.length - HISTORY_KEPT);
    this.events.emit('entry', full);
    this.changed();
  }
}
