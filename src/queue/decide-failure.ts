import { assistantFailureDecision } from '../assistant/assistant-failure.ts';
import { DeckApiError, DeckTransportError } from '../nextcloud/deck-errors.ts';
import { deckFailureDecision } from '../nextcloud/deck-failure.ts';
import { NextcloudError, NextcloudTransportError } from '../nextcloud/nextcloud-errors.ts';
import { nextcloudFailureDecision } from '../nextcloud/nextcloud-failure.ts';
import { TelegramApiError, TelegramTransportError } from '../telegram/telegram-errors.ts';
import { telegramFailureDecision } from '../telegram/telegram-failure.ts';
import type { FailureDecision } from './failure.ts';
import { PostponeError } from './postpone.ts';

/**
 * The one place that decides what a failed job does next: each remote's errors are classified
 * by that remote's own policy; anything else (a bug, the database) is retried with backoff
 * and ends dead, visible, if it persists.
 */
export function decideFailure(type: string, error: unknown): FailureDecision {
  if (error instanceof PostponeError)
    return { action: 'postpone', reason: error.message, delayMs: error.delayMs };
  if (error instanceof TelegramApiError || error instanceof TelegramTransportError) {
    return telegramFailureDecision(error);
  }
  if (type.startsWith('assistant.')) return assistantFailureDecision(error);
  if (error instanceof NextcloudError || error instanceof NextcloudTransportError) {
    return nextcloudFailureDecision(error);
  }
  if (error instanceof DeckApiError || error instanceof DeckTransportError) return deckFailureDecision(error);
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { action: 'retry', reason };
}
