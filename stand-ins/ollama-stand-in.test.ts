import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CANNED_LEADS,
  hashedBagOfWords,
  OllamaStandIn,
  STAND_IN_CHAT_MODEL,
  STAND_IN_EMBED_MODEL,
} from './ollama-stand-in.ts';

/** The stand-in itself, over plain HTTP, as the sandbox and other clients will use it. */

let ollama: OllamaStandIn;
beforeEach(async () => {
  ollama = await OllamaStandIn.start();
});
afterEach(async () => {
  await ollama.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${ollama.url}${path}`, { method: 'POST', body: JSON.stringify(body) });

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('Ollama stand-in', () => {
  it('answers the health endpoints as Ollama does', async () => {
    expect(await (await fetch(ollama.url)).text()).toBe('Ollama is running');
    expect(await (await fetch(`${ollama.url}/api/version`)).json()).toEqual({ version: '0.12.6' });
    const { models } = (await (await fetch(`${ollama.url}/api/tags`)).json()) as {
      models: { name: string }[];
    };
    expect(models.map((model) => model.name)).toEqual([STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL]);
  });

  it('embeds deterministically, normalised, closer for texts sharing words, accents ignored', () => {
    const note = hashedBagOfWords('Onduleur Fronius : State 567, production plafonnée', 256);
    expect(hashedBagOfWords('Onduleur Fronius : State 567, production plafonnée', 256)).toEqual(note);
    expect(cosine(note, note)).toBeCloseTo(1);
    const near = hashedBagOfWords('fronius 567 production plafonnee', 256);
    const far = hashedBagOfWords('borne de recharge en défaut', 256);
    expect(cosine(note, near)).toBeGreaterThan(0.5);
    expect(cosine(note, far)).toBeLessThan(0.2);
  });

  it('embeds a string or a list and refuses anything else with 400 "invalid input type"', async () => {
    const one = (await (await post('/api/embed', { model: 'nomic-embed-text', input: 'PAC U4' })).json()) as {
      embeddings: number[][];
    };
    expect(one.embeddings).toEqual([ollama.embedding('PAC U4')]);
    const refused = await post('/api/embed', { model: 'nomic-embed-text', input: 42 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'invalid input type' });
  });

  it('answers a chat without streaming in one object, and loads the model for empty messages', async () => {
    const response = await post('/api/chat', {
      model: STAND_IN_CHAT_MODEL,
      messages: [{ role: 'user', content: 'la PAC ne démarre pas' }],
      stream: false,
    });
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toMatchObject({
      message: { role: 'assistant', content: CANNED_LEADS },
      done: true,
      done_reason: 'stop',
    });
    const load = await post('/api/chat', { model: STAND_IN_CHAT_MODEL, messages: [] });
    expect(await load.json()).toMatchObject({ done: true, done_reason: 'load' });
  });

  it('streams NDJSON ending with the statistics line', async () => {
    const response = await post('/api/chat', {
      model: STAND_IN_CHAT_MODEL,
      messages: [{ role: 'user', content: 'x' }],
      options: { num_predict: 3 },
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { done: boolean; done_reason?: string; eval_count?: number });
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: 'length', eval_count: 3 });
  });

  it('says a model is not pulled with a 404, and records every call', async () => {
    const response = await post('/api/chat', {
      model: 'llama3.1',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'model "llama3.1" not found, try pulling it first' });
    expect(ollama.callsTo('/api/chat').map((call) => call.body?.model)).toEqual(['llama3.1']);
  });
});
