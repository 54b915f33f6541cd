import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assistantHandlers, enqueueAssistantSync } from '../../src/assistant/assistant-jobs.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import { type KnowledgeSource, KnowledgeSourceError } from '../../src/assistant/knowledge-source.ts';
import { bytesToVector } from '../../src/assistant/knowledge-store.ts';
import type { NoteFile } from '../../src/assistant/knowledge-units.ts';
import { assistantFailureDecision } from '../../src/assistant/assistant-failure.ts';
import { createSavAssistant, type SavAssistant } from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import { decideFailure } from '../../src/job-failure.ts';
import { Worker } from '../../src/queue/worker.ts';
import { TestClock } from '../support/database.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../../stand-ins/ollama-stand-in.ts';
import { assistantDatabase } from './assistant-database.ts';

const FRONIUS = `# Fronius : State 567
Marque : Fronius
Codes : 567
### Symptômes
Production plafonnée en milieu de journée.
### Solution
Mesurer la tension réseau.
`;
const DAIKIN = `# PAC Daikin
## Code U4
Codes : U4
### Symptômes
U4 après coupure.
### Solution
Relancer les unités.
## Pas de code
### Symptômes
Unité extérieure silencieuse.
### Solution
Contrôler le disjoncteur.
`;

let ollama: OllamaStandIn;
let db: Kysely<Database & AssistantDatabase>;
let clock: TestClock;
let files: NoteFile[];
const opened: SavAssistant[] = [];
const source: KnowledgeSource = { list: async () => files };

beforeEach(async () => {
  ollama = await OllamaStandIn.start();
  db = await assistantDatabase();
  clock = new TestClock();
  files = [
    { path: 'fronius.md', text: FRONIUS },
    { path: 'pac/daikin.md', text: DAIKIN },
  ];
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((assistant) => assistant.close()));
  await ollama.close();
  await db.destroy();
});

function assistant(options: { url?: string; embedModel?: string } = {}): SavAssistant {
  const created = createSavAssistant({
    ollamaUrl: options.url ?? ollama.url,
    chatModel: STAND_IN_CHAT_MODEL,
    embedModel: options.embedModel ?? STAND_IN_EMBED_MODEL,
    db,
    knowledge: { source },
    thresholds: { answer: 0.3 },
    clock: clock.now,
  });
  opened.push(created);
  return created;
}

/** Inputs sent to /api/embed since the start, minus queries. */
function embeddedDocuments(): string[] {
  return ollama
    .callsTo('/api/embed')
    .flatMap((call) => call.body!.input as string[])
    .filter((input) => input.startsWith('search_document: '));
}

const rows = () => db.selectFrom('assistant_units').selectAll().orderBy('id').execute();

describe('knowledge sync', () => {
  it('embeds every known fix once and stores it with its model, dimension and hash', async () => {
    const report = await assistant().sync();
    expect(report).toEqual({
      units: 3,
      embedded: 3,
      unchanged: 0,
      removed: 0,
      model: STAND_IN_EMBED_MODEL,
      dimensions: 256,
      readAsWindows1252: [],
    });
    const stored = await rows();
    expect(stored.map((row) => row.id)).toEqual([
      'fronius.md',
      'pac/daikin.md#code-u4',
      'pac/daikin.md#pas-de-code',
    ]);
    const fronius = stored[0]!;
    expect(fronius).toMatchObject({
      embed_model: STAND_IN_EMBED_MODEL,
      dimensions: 256,
      embedded_at: clock.now().getTime(),
    });
    expect(fronius.text_hash).toMatch(/^[0-9a-f]{64}$/u);
    const expected = ollama.embedding(embeddedDocuments()[0]!);
    expect([...bytesToVector(fronius.vector, 256)].map((x) => x.toFixed(6))).toEqual(
      expected.map((x) => x.toFixed(6)),
    );
  });

  it('names the notes that were not UTF-8 and were read as windows-1252, in a warning of the sync job', async () => {
    files = [{ path: 'fronius.md', text: FRONIUS, encoding: 'windows-1252' }, ...files.slice(1)];
    expect(await assistant().sync()).toMatchObject({ units: 3, readAsWindows1252: ['fronius.md'] });

    const logged: { level: number; msg: string; notes?: string[] }[] = [];
    const lines = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString('utf8')) as (typeof logged)[number]);
        done();
      },
    });
    const worker = new Worker({
      db,
      handlers: assistantHandlers({ db, assistant: assistant(), cards: undefined, hasBotApi: () => false }),
      decide: decideFailure,
      clock: clock.now,
      logger: pino({ level: 'warn' }, lines),
      concurrency: 1,
    });
    await enqueueAssistantSync(db, clock.now(), 'test');
    await worker.runOnce();
    expect(logged).toEqual([
      expect.objectContaining({
        level: 40,
        notes: ['fronius.md'],
        msg: 'knowledge notes not in UTF-8 were read as windows-1252: save them again in UTF-8',
      }),
    ]);
  });

  it('embeds nothing again when nothing changed, but one note to check the model', async () => {
    await assistant().sync();
    const firstSync = clock.now().getTime();
    const before = embeddedDocuments().length;
    clock.advance(60_000);
    const report = await assistant().sync();
    expect(report).toMatchObject({ embedded: 0, unchanged: 3, removed: 0 });
    expect(embeddedDocuments()).toHaveLength(before + 1);
    expect((await rows()).map((row) => row.embedded_at)).toEqual([firstSync, firstSync, firstSync]);
  });

  it('re-embeds only the fix whose symptoms changed', async () => {
    await assistant().sync();
    files[1] = { path: 'pac/daikin.md', text: DAIKIN.replace('U4 après coupure.', 'U4 après un orage.') };
    const report = await assistant().sync();
    expect(report).toMatchObject({ embedded: 1, unchanged: 2 });
    const lastCall = ollama.callsTo('/api/embed').at(-1)!.body!.input as string[];
    expect(lastCall.filter((input) => input.includes('U4'))).toEqual([
      expect.stringContaining('U4 après un orage.'),
    ]);
  });

  it('updates a changed solution without embedding it again, and answers with the new text', async () => {
    const sav = assistant();
    await sav.sync();
    files[0] = {
      path: 'fronius.md',
      text: FRONIUS.replace('Mesurer la tension réseau.', 'Mesurer la tension au tableau.'),
    };
    expect(await sav.sync()).toMatchObject({ embedded: 0, unchanged: 3 });
    const answer = await sav.answer('Fronius State 567 production plafonnée');
    expect(answer.text).toContain('Mesurer la tension au tableau.');
  });

  it('forgets the fixes of a removed note', async () => {
    await assistant().sync();
    files = files.slice(0, 1);
    expect(await assistant().sync()).toMatchObject({ units: 1, removed: 2 });
    expect((await rows()).map((row) => row.id)).toEqual(['fronius.md']);
  });

  it('re-embeds everything for another embedding model, and its vectors replace the old ones', async () => {
    await assistant().sync();
    ollama.pull('bge-m3');
    const report = await assistant({ embedModel: 'bge-m3' }).sync();
    expect(report).toMatchObject({ embedded: 3, model: 'bge-m3' });
    expect(new Set((await rows()).map((row) => row.embed_model))).toEqual(new Set(['bge-m3']));
    // bge-m3 takes no prefix: the documents are embedded as they are.
    const inputs = ollama.callsTo('/api/embed').at(-1)!.body!.input as string[];
    expect(inputs[0]).toMatch(/^Fronius : State 567\n/u);
  });

  it('re-embeds everything when the model changed under the same name', async () => {
    await assistant().sync();
    const other = await OllamaStandIn.start({ dimensions: 256, salt: 'another-model' });
    try {
      expect(await assistant({ url: other.url }).sync()).toMatchObject({ embedded: 3, unchanged: 0 });
    } finally {
      await other.close();
    }
  });

  it('re-embeds everything when the model changed dimension under the same name', async () => {
    await assistant().sync();
    const wider = await OllamaStandIn.start({ dimensions: 384 });
    try {
      const sav = assistant({ url: wider.url });
      const answer = await sav.answer('Fronius State 567 production plafonnée');
      expect(answer.sources[0]?.unitId).toBe('fronius.md');
      expect(new Set((await rows()).map((row) => row.dimensions))).toEqual(new Set([384]));
    } finally {
      await wider.close();
    }
  });

  it('builds the index on the first answer when nothing was synced yet', async () => {
    const answer = await assistant().answer('U4 après coupure');
    expect(answer.sources[0]?.unitId).toBe('pac/daikin.md#code-u4');
    expect(await rows()).toHaveLength(3);
  });

  it('keeps the stored index when the notes cannot be read, and asks for a retry', async () => {
    const sav = assistant();
    await sav.sync();
    const broken: KnowledgeSource = {
      list: async () => {
        throw new KnowledgeSourceError('Wiki_SAV unreachable');
      },
    };
    const other = createSavAssistant({
      ollamaUrl: ollama.url,
      chatModel: STAND_IN_CHAT_MODEL,
      embedModel: STAND_IN_EMBED_MODEL,
      db,
      knowledge: { source: broken },
      thresholds: { answer: 0.3 },
    });
    opened.push(other);
    const error = await other.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KnowledgeSourceError);
    expect(assistantFailureDecision(error).action).toBe('retry');
    expect(await rows()).toHaveLength(3);
    expect((await other.answer('Fronius State 567 production plafonnée')).sources[0]?.unitId).toBe(
      'fronius.md',
    );
  });
});
