import { assistantFailureDecision, AssistantInputError } from './assistant/assistant-failure.ts';
import { EmbeddingDimensionError } from './assistant/knowledge-index.ts';
import { KnowledgeSourceError } from './assistant/knowledge-source.ts';
import {
  OllamaApiError,
  OllamaProtocolError,
  OllamaStreamError,
  OllamaTransportError,
} from './assistant/ollama-errors.ts';
import { DeckApiError, DeckTransportError } from './nextcloud/deck-errors.ts';
import { deckFailureDecision } from './nextcloud/deck-failure.ts';
import { NextcloudError, NextcloudTransportError } from './nextcloud/nextcloud-errors.ts';
import { nextcloudFailureDecision } from './nextcloud/nextcloud-failure.ts';
import { type FailureDecision, retryUnexpected } from './queue/failure.ts';
import { TelegramApiError, TelegramTransportError } from './telegram/telegram-errors.ts';
import { telegramFailureDecision } from './telegram/telegram-failure.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

interface FailurePolicy {
  readonly remote: string;
  /** The error classes this remote's client throws. */
  readonly errors: readonly ErrorClass[];
  readonly decide: (error: unknown) => FailureDecision;
}

/**
 * Which remote's policy judges an error: by the error's class alone, whatever job raised it (a
 * Deck 401 from the assistant's comment is still a Deck 401: never retried in a loop, since each
 * retry feeds Nextcloud's brute-force throttling).
 */
export const FAILURE_POLICIES: readonly FailurePolicy[] = [
  { remote: 'Telegram', errors: [TelegramApiError, TelegramTransportError], decide: telegramFailureDecision },
  { remote: 'WebDAV', errors: [NextcloudError, NextcloudTransportError], decide: nextcloudFailureDecision },
  { remote: 'Deck', errors: [DeckApiError, DeckTransportError], decide: deckFailureDecision },
  {
    remote: 'Ollama',
    errors: [
      OllamaApiError,
      OllamaTransportError,
      OllamaStreamError,
      OllamaProtocolError,
      KnowledgeSourceError,
      EmbeddingDimensionError,
      AssistantInputError,
    ],
    decide: assistantFailureDecision,
  },
];

/**
 * What a failed job does next. An error that wraps another (the knowledge sync's source error
 * around a WebDAV 401) is judged by the remote that really answered. Anything unknown (a bug, the
 * database) is retried with backoff and ends dead, visible, if it persists.
 */
export function decideFailure(error: unknown): FailureDecision {
  const cause = error instanceof Error ? error.cause : undefined;
  const judged = policyFor(cause) ? cause : error;
  const policy = policyFor(judged);
  if (policy) return policy.decide(judged);
  return retryUnexpected(error, 'outside any remote call');
}

function policyFor(error: unknown): FailurePolicy | undefined {
  return FAILURE_POLICIES.find((policy) => policy.errors.some((type) => error instanceof type));
}
