import type { onSendAsyncHookHandler } from 'fastify';
import type { ActivityFeed } from './activity-feed.ts';

/**
 * An `onSend` hook that writes every Update the gateway route answered into the feed, with the
 * answer: what the technician sent and the text the gateway would relay, whoever posted it (the
 * web chat, `make send`, curl). It only looks; the answer goes out unchanged.
 */
export function captureUpdates(feed: ActivityFeed): onSendAsyncHookHandler {
  return async (request, reply, payload) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/telegram/update') return payload;
    const slug = request.headers['x-bot-slug'];
    const body = typeof payload === 'string' ? payload : '';
    const answer = parseAnswer(body);
    feed.addUpdate({
      slug: typeof slug === 'string' ? slug : '',
      update: request.body,
      status: reply.statusCode,
      ...(reply.statusCode < 300
        ? answer.text === undefined
          ? {}
          : { reply: answer.text }
        : { error: answer.message ?? `HTTP ${reply.statusCode}` }),
    });
    return payload;
  };
}

/** `{text}` for a reply, `{error, message}` for a refusal, '' for nothing to relay. */
function parseAnswer(body: string): { text?: string; message?: string } {
  if (body === '') return {};
  try {
    const json = JSON.parse(body) as { text?: unknown; message?: unknown };
    return {
      ...(typeof json.text === 'string' ? { text: json.text } : {}),
      ...(typeof json.message === 'string' ? { message: json.message } : {}),
    };
  } catch {
    return {};
  }
}
