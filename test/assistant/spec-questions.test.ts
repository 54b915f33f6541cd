import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import type { AssistantAnswer, SavAssistant } from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import { OllamaStandIn } from '../../stand-ins/ollama-stand-in.ts';
import { TestClock } from '../support/database.ts';
import { assistantDatabase } from './assistant-database.ts';
import { standInAssistant } from './stand-in-assistant.ts';

/**
 * The business's three example questions, and paraphrases as technicians type them, through the
 * whole assistant with the configured thresholds (DEFAULT_THRESHOLDS, from calibration): with
 * Ollama answering (the stand-in) and with Ollama stopped (a closed port, nothing listening).
 */

const FRONIUS_567 = 'onduleurs/fronius-state-567.md';
const PAC_NOTE = 'pac/pac-redemarrage-apres-coupure.md';
const IRVE_NOTE = 'irve/irve-ne-charge-pas.md';
const U4 = `${PAC_NOTE}#daikin-altherma-code-u4-apres-la-coupure`;

/** Question → the known fix it must get, or the note whose cases it must offer. */
const KNOWN_FIXES: readonly (readonly [string, string])[] = [
  ['onduleur Fronius affiche erreur 567', FRONIUS_567],
  ['Fronius affiche erreur 567', FRONIUS_567],
  ['Fronius State 567', FRONIUS_567],
  ['fronuis 567 prod bridee a midi', FRONIUS_567],
  ['symo state567 chez le client', FRONIUS_567],
  ['Daikin U4', U4],
  ['daikin u-4 apres coupure courant', U4],
  ['PAC en défaut E-12, manomètre à 0,5 bar', 'pac/pac-pression-basse.md'],
  ['pac e 12 pression basse', 'pac/pac-pression-basse.md'],
];
const CASES_OF_A_NOTE: readonly (readonly [string, string])[] = [
  ['PAC ne démarre plus après coupure EDF', PAC_NOTE],
  ['pac redemarre pas apres coupure de courant', PAC_NOTE],
  ['borne IRVE ne charge plus depuis hier', IRVE_NOTE],
  ['la borne charge plus', IRVE_NOTE],
];

let db: Kysely<Database & AssistantDatabase>;
const opened: SavAssistant[] = [];
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  db = await assistantDatabase();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((assistant) => assistant.close()));
  await Promise.all(closers.splice(0).map((close) => close()));
  await db.destroy();
});

function assistant(ollamaUrl: string): SavAssistant {
  const created = standInAssistant(ollamaUrl, db, { clock: new TestClock().now });
  opened.push(created);
  return created;
}

async function standIn(): Promise<OllamaStandIn> {
  const ollama = await OllamaStandIn.start();
  closers.push(() => ollama.close());
  return ollama;
}

/** The URL of an Ollama that was stopped: the port is free again, connections are refused. */
async function stoppedOllama(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function expectKnownFix(sav: SavAssistant, question: string, unitId: string): Promise<AssistantAnswer> {
  const answer = await sav.answer(question);
  expect({ question, kind: answer.kind, unit: answer.sources[0]?.unitId }).toEqual({
    question,
    kind: 'known-fix',
    unit: unitId,
  });
  expect(answer.text).toContain('💡 Solution connue (confiance ');
  return answer;
}

/** The note's cases as buttons; picking one gives its known fix. */
async function expectCasesOf(sav: SavAssistant, question: string, path: string): Promise<void> {
  const answer = await sav.answer(question);
  expect({ question, kind: answer.kind }).toEqual({ question, kind: 'choose' });
  expect(answer.sources.length).toBeGreaterThan(1);
  for (const source of answer.sources) expect(source.unitId.startsWith(`${path}#`)).toBe(true);
  expect(answer.choices).toHaveLength(answer.sources.length);
  expect(answer.text).toContain(' : plusieurs cas connus. Lequel décrit ce que tu vois ?');
  const picked = await sav.answer(question, { note: answer.choices[1]!.note });
  expect(picked).toMatchObject({ kind: 'known-fix', sources: [{ unitId: answer.sources[1]!.unitId }] });
  expect(picked.text).toContain('💡 Solution connue (cas choisi)');
}

describe('the spec questions with Ollama up (stand-in)', () => {
  it('« onduleur Fronius affiche erreur 567 » gets the 567 note, explained by its code and brand', async () => {
    const ollama = await standIn();
    const sav = assistant(ollama.url);
    const answer = await expectKnownFix(sav, 'onduleur Fronius affiche erreur 567', FRONIUS_567);
    expect(answer.text).toContain(': code 567 + Fronius + onduleur) — Fronius Symo / Primo : State 567');
    expect(answer.retrieval).toBe('hybrid');
    expect(sav.degradation()).toBeUndefined();
    expect(ollama.callsTo('/api/chat')).toEqual([]);
  });

  it('« PAC ne démarre plus après coupure EDF » offers the cases of the PAC restart note', async () => {
    const sav = assistant((await standIn()).url);
    await expectCasesOf(sav, 'PAC ne démarre plus après coupure EDF', PAC_NOTE);
  });

  it('« borne IRVE ne charge plus depuis hier » offers the cases of the IRVE note', async () => {
    const sav = assistant((await standIn()).url);
    await expectCasesOf(sav, 'borne IRVE ne charge plus depuis hier', IRVE_NOTE);
  });

  it('paraphrases, codes with or without prefix, misspelt brands, get the same known fixes', async () => {
    const sav = assistant((await standIn()).url);
    for (const [question, unitId] of KNOWN_FIXES) await expectKnownFix(sav, question, unitId);
    for (const [question, path] of CASES_OF_A_NOTE) await expectCasesOf(sav, question, path);
  });
});

describe('the spec questions with Ollama stopped', () => {
  it('« onduleur Fronius affiche erreur 567 » still gets the 567 note, by BM25 and its code', async () => {
    const sav = assistant(await stoppedOllama());
    expect(sav.degradation()).toBeUndefined();
    const answer = await expectKnownFix(sav, 'onduleur Fronius affiche erreur 567', FRONIUS_567);
    expect(answer.retrieval).toBe('lexical');
    expect(answer.text).toContain(': code 567 + Fronius + onduleur)');
    expect(sav.degradation()).toMatch(/^known fixes found without embeddings: .*ECONNREFUSED/u);
  });

  it('« PAC ne démarre plus après coupure EDF » still offers the cases of the PAC note', async () => {
    await expectCasesOf(assistant(await stoppedOllama()), 'PAC ne démarre plus après coupure EDF', PAC_NOTE);
  });

  it('« borne IRVE ne charge plus depuis hier » still offers the cases of the IRVE note', async () => {
    await expectCasesOf(assistant(await stoppedOllama()), 'borne IRVE ne charge plus depuis hier', IRVE_NOTE);
  });

  it('paraphrases get the same known fixes, also when Ollama stops after the notes were embedded', async () => {
    const ollama = await standIn();
    const sav = assistant(ollama.url);
    await sav.sync();
    await ollama.close();
    for (const [question, unitId] of KNOWN_FIXES) {
      expect((await expectKnownFix(sav, question, unitId)).retrieval).toBe('lexical');
    }
    for (const [question, path] of CASES_OF_A_NOTE) await expectCasesOf(sav, question, path);
  });
});
