import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssistantInputError, assistantFailureDecision } from '../../src/assistant/assistant-failure.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import { CUT_BY_LENGTH, CUT_BY_MODEL } from '../../src/assistant/answer-text.ts';
import { type KnowledgeSource, localFolderSource } from '../../src/assistant/knowledge-source.ts';
import type { NoteFile } from '../../src/assistant/knowledge-units.ts';
import {
  OllamaApiError,
  OllamaStreamError,
  OllamaTransportError,
} from '../../src/assistant/ollama-errors.ts';
import { MAX_ANSWER_CHARS, SAFETY_LINE, suggestsBypass } from '../../src/assistant/safety.ts';
import {
  type AssistantAnswer,
  createSavAssistant,
  type SavAssistant,
  type SavAssistantOptions,
} from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import { TestClock } from '../support/database.ts';
import { OllamaStandIn, STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../../stand-ins/ollama-stand-in.ts';
import { assistantDatabase } from './assistant-database.ts';
import { CLOSE_CASES_NOTE } from './close-cases-note.ts';

/** Thresholds for the stand-in's bag-of-words vectors (its cosines run lower than a real model's). */
const THRESHOLDS = { answer: 0.5, lexicalAnswer: 0.6, margin: 0.05, context: 0.15, maxContextNotes: 3 };
const LINK_BASE = 'https://cloud.example.test/remote.php/dav/files/sav/Wiki_SAV';
const FRONIUS_567 = 'onduleurs/fronius-state-567.md';

let ollama: OllamaStandIn;
let db: Kysely<Database & AssistantDatabase>;
let clock: TestClock;
const opened: SavAssistant[] = [];

beforeEach(async () => {
  ollama = await OllamaStandIn.start();
  db = await assistantDatabase();
  clock = new TestClock();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((assistant) => assistant.close()));
  await ollama.close();
  await db.destroy();
});

function assistant(overrides: Partial<SavAssistantOptions<Database & AssistantDatabase>> = {}): SavAssistant {
  const created = createSavAssistant({
    ollamaUrl: ollama.url,
    chatModel: STAND_IN_CHAT_MODEL,
    embedModel: STAND_IN_EMBED_MODEL,
    db,
    knowledge: { source: localFolderSource('knowledge/Wiki_SAV'), linkBase: LINK_BASE },
    thresholds: THRESHOLDS,
    chat: { seed: 42 },
    clock: clock.now,
    ...overrides,
  });
  opened.push(created);
  return created;
}

function notes(...files: NoteFile[]): KnowledgeSource {
  return { list: async () => files };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function expectSafeText(answer: AssistantAnswer): void {
  expect(answer.text.startsWith(`${SAFETY_LINE}\n`)).toBe(true);
  expect(answer.text.length).toBeLessThanOrEqual(MAX_ANSWER_CHARS);
  for (const line of answer.text.split('\n').slice(1)) expect(suggestsBypass(line), line).toBe(false);
}

describe('SAV assistant: known fixes', () => {
  it('answers a report naming the code and the brand with the right note, its fix, confidence and link', async () => {
    const sav = assistant();
    await sav.sync();
    const answer = await sav.answer('Fronius Symo affiche State 567, la prod plafonne vers midi');
    expect(answer.kind).toBe('known-fix');
    expect(answer.sources.map((source) => source.unitId)).toEqual([FRONIUS_567]);
    expectSafeText(answer);
    expect(answer.text).toContain(
      '💡 Solution connue (confiance 97 % : code 567 + Fronius + Symo) — Fronius Symo / Primo : State 567, puissance réduite par la tension réseau',
    );
    expect(answer.text).toContain('Cause : Réduction de puissance en fonction de la tension réseau (GVDPR)');
    expect(answer.text).toContain('1. Mesurer la tension AC aux bornes de l');
    expect(answer.text).toContain(`📄 Note : ${LINK_BASE}/onduleurs/fronius-state-567.md`);
    expect(answer.confidence).toBe(97);
    expect(answer.retrieval).toBe('hybrid');
    expect(answer.cut).toBe(false);
    // A known fix costs one embedding, and no chat model at all.
    expect(ollama.callsTo('/api/chat')).toEqual([]);
    expect(ollama.callsTo('/api/embed').at(-1)!.body).toEqual({
      model: STAND_IN_EMBED_MODEL,
      input: ['search_query: Fronius Symo affiche State 567, la prod plafonne vers midi'],
    });
  });

  it('finds the note of an error code typed alone, in any of its forms', async () => {
    const sav = assistant();
    await sav.sync();
    expect((await sav.answer('567')).sources[0]?.unitId).toBe(FRONIUS_567);
    expect((await sav.answer('E12')).sources[0]?.unitId).toBe('pac/pac-pression-basse.md');
    expect((await sav.answer('u4')).sources[0]?.unitId).toBe(
      'pac/pac-redemarrage-apres-coupure.md#daikin-altherma-code-u4-apres-la-coupure',
    );
  });

  it('uses the link a note gives, and the path when no web root is configured', async () => {
    const files = notes(
      { path: 'a.md', text: '# Note A\nLien : https://docs.example.test/a\n### Symptômes\nalpha beta gamma' },
      { path: 'b c.md', text: '# Note B\n### Symptômes\ndelta epsilon zeta' },
    );
    const sav = assistant({ knowledge: { source: files }, thresholds: { ...THRESHOLDS, answer: 0.3 } });
    expect((await sav.answer('alpha beta gamma')).sources[0]?.link).toBe('https://docs.example.test/a');
    expect((await sav.answer('delta epsilon zeta')).sources[0]?.link).toBe('b c.md');
  });

  it('bounds a long fix to the message size, cut between lines, the link kept', async () => {
    const solution = Array.from(
      { length: 80 },
      (_, i) => `${i + 1}. Étape de contrôle ${'détaillée '.repeat(8).trim()}`,
    );
    const files = notes({
      path: 'long.md',
      text: `# Onduleur bavard\n### Symptômes\nécran noir onduleur bavard\n### Solution\n${solution.join('\n')}`,
    });
    const sav = assistant({ knowledge: { source: files }, thresholds: { ...THRESHOLDS, answer: 0.3 } });
    const answer = await sav.answer('écran noir onduleur bavard');
    expect(answer.kind).toBe('known-fix');
    expectSafeText(answer);
    expect(answer.cut).toBe(true);
    expect(answer.text).toContain(CUT_BY_LENGTH);
    expect(answer.text.endsWith('📄 Note : long.md')).toBe(true);
    const shownSteps = answer.text.split('\n').filter((line) => /^\d+\. Étape/u.test(line));
    expect(shownSteps.length).toBeGreaterThan(10);
    for (const step of shownSteps) expect(solution).toContain(step);
  });
});

describe('SAV assistant: choosing between known fixes', () => {
  const sharedCode = notes(
    {
      path: 'onduleurs/x-102.md',
      text: '# Onduleur X : défaut 102\nÉquipement : onduleur PV\nMarque : Xsol\nCodes : 102\n### Symptômes\ncoupure\n### Solution\nRéarmer X.',
    },
    {
      path: 'pac/y-102.md',
      text: '# PAC Y : défaut 102\nÉquipement : pompe à chaleur\nMarque : Ypac\nCodes : E-102, 102\n### Symptômes\narrêt\n### Solution\nPurger Y.',
    },
  );

  it('asks which equipment when two notes declare the code typed, and sends the one picked', async () => {
    const sav = assistant({ knowledge: { source: sharedCode } });
    const answer = await sav.answer('défaut 102');
    expect(answer.kind).toBe('choose');
    expectSafeText(answer);
    expect(answer.text).toContain('❓ Le code 102 figure dans 2 notes : de quel équipement s’agit-il ?');
    expect(answer.text).toMatch(/\n\d\. Onduleur X : défaut 102 \(onduleur PV, Xsol\)\n/u);
    expect(answer.text).toMatch(/\n\d\. PAC Y : défaut 102 \(pompe à chaleur, Ypac\)\n/u);
    const labels = answer.choices.map((choice) => choice.label.slice(3));
    expect(labels.sort()).toEqual(['Onduleur X : défaut 102', 'PAC Y : défaut 102']);
    expect(ollama.callsTo('/api/chat')).toEqual([]);

    const pac = answer.choices.findIndex((choice) => choice.label.includes('PAC Y'));
    const picked = await sav.answer('défaut 102', { note: answer.choices[pac]!.note });
    expect(picked).toMatchObject({ kind: 'known-fix', sources: [{ unitId: 'pac/y-102.md' }] });
    expect(picked.text).toContain('💡 Solution connue (cas choisi) — PAC Y : défaut 102');
    expect(picked.text).toContain('Purger Y.');
  });

  it('answers at once when the brand or equipment typed with the code tells the notes apart', async () => {
    const sav = assistant({ knowledge: { source: sharedCode } });
    const answer = await sav.answer('PAC en défaut E-102');
    expect(answer).toMatchObject({ kind: 'known-fix', sources: [{ unitId: 'pac/y-102.md' }] });
    expect(answer.text).toContain(': code E102 + pompe) — PAC Y');
  });

  it('says so when the note picked left the knowledge base meanwhile', async () => {
    const sav = assistant({ knowledge: { source: sharedCode } });
    const answer = await sav.answer('nimporte', { note: 'ffffffffffff' });
    expect(answer.kind).toBe('note-gone');
    expectSafeText(answer);
    expect(answer.text).toContain('Cette note n’est plus dans la base SAV');
  });
});

describe('SAV assistant: with the default thresholds', () => {
  it('answers, never crashes, when a note’s close cases reach the answer threshold but not the context one', async () => {
    const noisy = notes(CLOSE_CASES_NOTE);
    const sav = assistant({ knowledge: { source: noisy }, thresholds: {} });
    const answer = await sav.answer('PAC bruyante bruit de sifflement unité');
    expect(['choose', 'known-fix', 'leads']).toContain(answer.kind);
    if (answer.kind === 'choose') expect(answer.choices.length).toBeGreaterThanOrEqual(2);
    expectSafeText(answer);
  });
});

describe('SAV assistant: a maker named with a note that lists models only', () => {
  const altherma = notes({
    path: 'pac/altherma-u4.md',
    text: [
      '# PAC Altherma : code U4 après une coupure',
      'Équipement : pompe à chaleur air/eau',
      'Modèle : Altherma 3',
      'Codes : U4',
      '### Symptômes',
      'La PAC affiche U4 après une coupure de courant et ne redémarre pas.',
      '### Solution',
      '1. Vérifier le câble de communication entre unité intérieure et extérieure.',
    ].join('\n'),
  });

  it('answers with the note whether the maker is named or not', async () => {
    const sav = assistant({ knowledge: { source: altherma }, thresholds: {} });
    expect((await sav.answer('PAC code U4 après coupure')).kind).toBe('known-fix');
    const named = await sav.answer('PAC Daikin code U4 après coupure');
    expect(named.kind).toBe('known-fix');
    expect(named.text).toContain('code U4 + pompe');
    expect(named.text).not.toContain('Le code U4 ne figure pas dans nos notes');
  });

  it('never says a code is missing from the notes when a note not shown declares it', async () => {
    const mitsubishi = notes({
      path: 'pac/mitsubishi-u4.md',
      text: '# PAC Mitsubishi : code U4\nÉquipement : pompe à chaleur\nMarque : Mitsubishi\nCodes : U4\n### Solution\nRéarmer.',
    });
    // No note is shown to the model: the Mitsubishi note, another maker's, scores too low.
    const sav = assistant({
      knowledge: { source: mitsubishi },
      thresholds: { ...THRESHOLDS, context: 0.99 },
    });
    const answer = await sav.answer('PAC Daikin code U4 après coupure');
    expect(answer.kind).toBe('leads');
    expect(answer.sources).toEqual([]);
    expect(answer.text).not.toContain('Le code U4 ne figure pas dans nos notes');
  });
});

describe('SAV assistant: leads from the chat model', () => {
  const twins = notes(
    {
      path: 'pac/a.md',
      text: '# PAC bruit compresseur version A\n### Symptômes\ncompresseur bruyant au démarrage vibrations',
    },
    {
      path: 'pac/b.md',
      text: '# PAC bruit compresseur version B\n### Symptômes\ncompresseur bruyant au démarrage claquement',
    },
  );

  it('asks the model when two notes are too close to choose, citing both', async () => {
    const sav = assistant({ knowledge: { source: twins }, thresholds: { ...THRESHOLDS, answer: 0.3 } });
    const answer = await sav.answer('PAC compresseur bruyant au démarrage');
    expect(answer.scores.top).toBeGreaterThanOrEqual(0.3);
    expect(answer.scores.top! - answer.scores.second!).toBeLessThan(THRESHOLDS.margin);
    expect(answer.kind).toBe('leads');
    const [call] = ollama.callsTo('/api/chat');
    const user = (call!.body!.messages as { role: string; content: string }[]).find(
      (m) => m.role === 'user',
    )!;
    expect(user.content).toContain('[N1] PAC bruit compresseur version');
    expect(user.content).toContain('[N2] PAC bruit compresseur version');
    expect(answer.sources.map((source) => source.ref)).toEqual(['N1', 'N2']);
    expect(answer.text).toContain('📄 [N1] PAC bruit compresseur version');
  });

  it('sends a bounded, explicit, low-temperature streamed request with the rules in French', async () => {
    const sav = assistant({ knowledge: { source: twins } });
    await sav.answer('PAC compresseur bruyant au démarrage');
    const body = ollama.callsTo('/api/chat')[0]!.body!;
    expect(body).toMatchObject({
      model: STAND_IN_CHAT_MODEL,
      stream: true,
      keep_alive: '30m',
      options: { num_ctx: 4096, num_predict: 500, temperature: 0.2, seed: 42 },
    });
    const [system, user] = body.messages as { role: string; content: string }[];
    expect(system).toMatchObject({ role: 'system' });
    expect(system!.content).toContain('3 à 5 pistes numérotées');
    expect(system!.content).toContain("Ne donne jamais la signification d'un code d'erreur absent des notes");
    expect(user!.content).toContain('Signalement du technicien :\nPAC compresseur bruyant au démarrage');
    expect(user!.content).toContain('Rappel : 3 à 5 pistes numérotées');
  });

  it('gives numbered French leads after the safety line, most likely first, when no note is close', async () => {
    const sav = assistant();
    await sav.sync();
    const answer = await sav.answer('Ballon thermodynamique très bruyant la nuit');
    expect(answer.kind).toBe('leads');
    expectSafeText(answer);
    expect(answer.text).toContain('🔎 Pistes à vérifier');
    expect(answer.text).toMatch(/\n1\. Cause : .+\n {3}Vérifier : .+\n2\. Cause : /u);
    expect(answer.sources).toEqual([]);
    expect(answer.chat).toMatchObject({ model: STAND_IN_CHAT_MODEL, doneReason: 'stop' });
    const user = (ollama.callsTo('/api/chat')[0]!.body!.messages as { content: string }[])[1]!;
    expect(user.content).toContain('Aucune note proche dans la base SAV');
  });

  it('never passes on a lead that bypasses a protection, nor a code meaning no note gives', async () => {
    ollama.replyNext(
      [
        '1. Cause : le code 3501 signifie un défaut de ventilateur interne',
        '   Vérifier : remplacer le ventilateur.',
        '2. Cause : pressostat défaillant',
        '   Vérifier : ponter le pressostat pour voir si ça repart.',
        '3. Cause : isolement DC dégradé par l’humidité',
        '   Vérifier : mesurer l’isolement de chaque chaîne au mégohmmètre.',
      ].join('\n'),
    );
    const sav = assistant();
    await sav.sync();
    const answer = await sav.answer('SMA Sunny Boy code 3501 après la pluie');
    expectSafeText(answer);
    expect(answer.droppedLeads).toBe(2);
    expect(answer.text).not.toContain('signifie un défaut de ventilateur');
    expect(answer.text).not.toContain('pressostat');
    expect(answer.text).toContain('1. Cause : isolement DC dégradé par l’humidité');
    expect(answer.text).toContain(
      'ℹ️ Le code 3501 ne figure pas dans nos notes : voir la documentation du fabricant.',
    );
  });

  it('says so plainly when every lead had to be dropped', async () => {
    ollama.replyNext('1. Cause : différentiel trop sensible\n   Vérifier : shunter le différentiel.');
    const sav = assistant({ knowledge: { source: notes() } });
    const answer = await sav.answer('Le différentiel saute');
    expectSafeText(answer);
    expect(answer.text).toContain('Aucune piste fiable à proposer');
  });

  it('marks an answer cut by num_predict and drops the half-written lead', async () => {
    // Seven tokens a lead for the stand-in (one word = one token): 17 stop inside the third.
    ollama.replyNext(
      '1. Cause : a\n   Vérifier : b\n2. Cause : c\n   Vérifier : d\n3. Cause : e\n   Vérifier : f',
    );
    const sav = assistant({ knowledge: { source: notes() }, chat: { numPredict: 17 } });
    const answer = await sav.answer('La borne ne charge pas');
    expect(answer.chat?.doneReason).toBe('length');
    expect(answer.cut).toBe(true);
    expect(answer.text).toContain(CUT_BY_MODEL);
    expectSafeText(answer);
    const leads = answer.text.split('\n').filter((line) => /^\d\. /u.test(line));
    expect(leads).toEqual(['1. Cause : a', '2. Cause : c']);
  });

  it('bounds a very long model answer to the message size', async () => {
    const lead = (n: number) =>
      `${n}. Cause : ${'cause '.repeat(150)}\n   Vérifier : ${'contrôle '.repeat(150)}`;
    ollama.replyNext([1, 2, 3, 4, 5].map(lead).join('\n'));
    const sav = assistant({ knowledge: { source: notes() }, chat: { numPredict: 5000 } });
    const answer = await sav.answer('La PAC fait du bruit');
    expectSafeText(answer);
    expect(answer.cut).toBe(true);
    expect(answer.text).toContain(CUT_BY_LENGTH);
    expect(answer.text).toContain('Si rien ne marche');
  });
});

describe('SAV assistant: degradation', () => {
  it('reports Ollama down as a transport error to retry', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const sav = assistant({ ollamaUrl: `http://127.0.0.1:${port}` });
    const error = await rejectionOf(sav.answer('La PAC ne démarre pas'));
    expect(error).toBeInstanceOf(OllamaTransportError);
    expect(assistantFailureDecision(error)).toMatchObject({ action: 'retry' });
    expect(await sav.health()).toEqual({ status: 'degraded', detail: 'ollama unreachable (ECONNREFUSED)' });
  });

  it('fails for good, naming the model, when the chat model is not pulled', async () => {
    ollama.remove(STAND_IN_CHAT_MODEL);
    const sav = assistant({ knowledge: { source: notes() } });
    const error = await rejectionOf(sav.answer('La PAC ne démarre pas'));
    expect(error).toBeInstanceOf(OllamaApiError);
    expect(assistantFailureDecision(error)).toEqual({
      action: 'fail',
      reason: expect.stringContaining(`model ${STAND_IN_CHAT_MODEL} is not pulled`),
    });
    expect(await sav.health()).toEqual({
      status: 'degraded',
      detail: `model not pulled: ${STAND_IN_CHAT_MODEL}`,
    });
  });

  it('finds known fixes by their words and codes when the embedding model is not pulled', async () => {
    ollama.remove(STAND_IN_EMBED_MODEL);
    const sav = assistant();
    const answer = await sav.answer('Fronius State 567');
    expect(answer).toMatchObject({ kind: 'known-fix', retrieval: 'lexical' });
    expect(answer.sources[0]?.unitId).toBe(FRONIUS_567);
    expect(await sav.health()).toEqual({
      status: 'degraded',
      detail: `model not pulled: ${STAND_IN_EMBED_MODEL}`,
    });
  });

  it('retries later, not at once, when the Ollama queue is full (503)', async () => {
    ollama.failNext('/api/chat', { kind: 'status', status: 503, error: 'server busy, please try again.' });
    const sav = assistant({ knowledge: { source: notes() } });
    const error = await rejectionOf(sav.answer('La PAC ne démarre pas'));
    expect(assistantFailureDecision(error)).toMatchObject({ action: 'retry', delayMs: 30_000 });
    // The next attempt goes through.
    expect((await sav.answer('La PAC ne démarre pas')).kind).toBe('leads');
  });

  it('retries an answer whose stream broke off with an error line, and sends nothing partial', async () => {
    ollama.failNext('/api/chat', {
      kind: 'streamError',
      afterChunks: 5,
      error: 'llama runner process has terminated',
    });
    const sav = assistant({ knowledge: { source: notes() } });
    const error = await rejectionOf(sav.answer('La PAC ne démarre pas'));
    expect(error).toBeInstanceOf(OllamaStreamError);
    expect(assistantFailureDecision(error).action).toBe('retry');
  });

  it('gives up on a hung model within its deadline, to retry', async () => {
    ollama.failNext('/api/chat', { kind: 'hang' });
    const sav = assistant({ knowledge: { source: notes() }, timeouts: { firstByteMs: 200 } });
    const error = await rejectionOf(sav.answer('La PAC ne démarre pas'));
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    expect(assistantFailureDecision(error)).toMatchObject({
      action: 'retry',
      reason: expect.stringContaining('too slow'),
    });
  });

  it('keeps all the calls of one answer within its budget, under the job lock', async () => {
    ollama.failNext('/api/chat', { kind: 'stallAfter', afterChunks: 2 });
    const sav = assistant({ knowledge: { source: notes() }, answerBudgetMs: 200 });
    const error = await rejectionOf(sav.answer('La PAC ne démarre pas'));
    expect(error).toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringContaining('no complete answer within'),
    });
  });

  it('refuses an empty question for good', async () => {
    const error = await rejectionOf(assistant().answer('   '));
    expect(error).toBeInstanceOf(AssistantInputError);
    expect(assistantFailureDecision(error).action).toBe('fail');
  });

  it('is healthy when Ollama answers and both models are pulled, whatever their tags', async () => {
    const sav = assistant({ chatModel: 'mistral:7b-instruct', embedModel: 'nomic-embed-text' });
    expect(await sav.health()).toEqual({
      status: 'ok',
      detail: 'ollama 0.12.6, mistral:7b-instruct and nomic-embed-text:latest pulled',
    });
  });
});
