import { type FailureDecision, retryUnexpected } from '../queue/failure.ts';
import { TelegramApiError, TelegramTransportError } from './telegram-errors.ts';

/**
 * Telegram's retry policy, in one place. Telegram says `error_code` may change, so refusals are
 * recognised by code and by the stable part of the description, without case
 * (https://core.telegram.org/bots/api#making-requests).
 */
export function telegramFailureDecision(error: unknown): FailureDecision {
  if (error instanceof TelegramTransportError) return { action: 'retry', reason: error.message };
  if (error instanceof TelegramApiError) return apiErrorDecision(error);
  return retryUnexpected(error, 'around a Telegram call');
}

/** The id a group moved to, when the refusal says so: the job handler stores it before the retry. */
export function migratedChatId(error: unknown): number | undefined {
  return error instanceof TelegramApiError ? error.migrateToChatId : undefined;
}

/** 400 descriptions saying the wanted effect already holds (or can no longer matter). */
const ALREADY_DONE = [
  // Button already cleaned up: editMessageReplyMarkup with the same markup.
  'message is not modified',
  // QUERY_ID_INVALID: the callback query was answered already or is too old to answer.
  'query is too old',
  'query id is invalid',
  // Removing buttons from a message that no longer exists: there are no buttons left to remove.
  'message to edit not found',
];

function apiErrorDecision(error: TelegramApiError): FailureDecision {
  const description = error.description.toLowerCase();
  const reason = `Telegram ${error.method}: ${error.errorCode} ${error.description}`;
  if (error.errorCode === 400 && ALREADY_DONE.some((phrase) => description.includes(phrase))) {
    return { action: 'done', reason };
  }
  // Sending again to the old id would fail forever: retry at once, once the new id is stored.
  if (error.migrateToChatId !== undefined) return { action: 'retry', reason, delayMs: 0 };
  if (error.errorCode === 429) {
    return error.retryAfter === undefined
      ? { action: 'retry', reason }
      : { action: 'retry', reason, delayMs: error.retryAfter * 1000 };
  }
  if (error.errorCode >= 500) return { action: 'retry', reason };
  // Bot blocked, user deactivated, bot kicked, wrong chat id: no later attempt can get through.
  if (error.errorCode === 403 || (error.errorCode === 400 && description.includes('chat not found'))) {
    return { action: 'fail', reason: `chat unreachable: ${reason}` };
  }
  // Any other refusal is about the request itself: sending it again cannot change the answer.
  if (error.errorCode >= 400) return { action: 'fail', reason };
  // No usable code (0 or odd): nothing says the request itself is wrong.
  return { action: 'retry', reason };
}
