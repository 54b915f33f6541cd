import type { OllamaClient } from './ollama-client.ts';
import { OllamaApiError, OllamaTransportError } from './ollama-errors.ts';

/** For /readyz: the assistant is optional, so "degraded" explains rather than fails readiness. */
export interface AssistantHealth {
  readonly status: 'ok' | 'degraded';
  /** `ollama 0.12.3, mistral:7b-instruct and nomic-embed-text:latest pulled`, or what is wrong. */
  readonly detail: string;
}

export const HEALTH_TIMEOUT_MS = 3_000;

/** Ollama answers, and both models are pulled (https://github.com/ollama/ollama/blob/main/docs/api.md#list-local-models). */
export async function checkAssistantHealth(
  client: OllamaClient,
  models: readonly string[],
  timeoutMs = HEALTH_TIMEOUT_MS,
): Promise<AssistantHealth> {
  const call = {
    timeouts: { connectMs: timeoutMs, firstByteMs: timeoutMs, idleMs: timeoutMs, totalMs: timeoutMs },
  };
  try {
    const version = await client.version(call);
    const pulled = new Set((await client.tags(call)).map(withTag));
    const missing = models.map(withTag).filter((model) => !pulled.has(model));
    if (missing.length > 0) return { status: 'degraded', detail: `model not pulled: ${missing.join(', ')}` };
    return { status: 'ok', detail: `ollama ${version}, ${models.map(withTag).join(' and ')} pulled` };
  } catch (error) {
    return { status: 'degraded', detail: describe(error) };
  }
}

/** `mistral` means `mistral:latest` (https://github.com/ollama/ollama/blob/main/docs/api.md#model-names). */
export function withTag(model: string): string {
  const name = model.split('/').at(-1)!;
  return name.includes(':') ? model : `${model}:latest`;
}

function describe(error: unknown): string {
  if (error instanceof OllamaTransportError) {
    return error.code === 'ETIMEDOUT'
      ? 'ollama not answering'
      : `ollama unreachable${error.code ? ` (${error.code})` : ''}`;
  }
  if (error instanceof OllamaApiError) return `ollama answered ${error.status}`;
  return `ollama answered unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
}
