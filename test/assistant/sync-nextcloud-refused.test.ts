import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assistantJobs } from '../../src/assistant/assistant-job-kinds.ts';
import { assistantHandlers } from '../../src/assistant/assistant-jobs.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import { nextcloudFolderSource } from '../../src/assistant/knowledge-source.ts';
import { type SavAssistant } from '../../src/assistant/sav-assistant.ts';
import type { Database } from '../../src/db/schema.ts';
import type { CredentialsBreaker } from '../../src/nextcloud/credentials-breaker.ts';
import { createNextcloudArchive } from '../../src/nextcloud/webdav-archive.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { listJobs } from '../../src/queue/job-store.ts';
import { Worker } from '../../src/queue/worker.ts';
import { nextcloudBreaker } from '../../src/reports/nextcloud-breaker.ts';
import { nextcloudPorts, type NextcloudPorts } from '../../src/reports/nextcloud-ports.ts';
import { OllamaStandIn } from '../../stand-ins/ollama-stand-in.ts';
import { startWebDavServer, type WebDavServer } from '../../stand-ins/webdav-server.ts';
import { TestClock } from '../support/database.ts';
import { assistantDatabase } from './assistant-database.ts';
import { testWorker } from '../support/test-worker.ts';
import { standInAssistant } from './stand-in-assistant.ts';

/**
 * The assistant's sync reads its notes through the Nextcloud credentials breaker
 * (src/nextcloud/credentials-breaker.ts, wired as in src/background.ts), whose postponement the
 * knowledge source wraps in its own error (src/assistant/knowledge-source.ts): the sync must wait
 * for the office, not spend its attempts and die.
 */

const USER = 'etm-bot';
const PASSWORD = 'fake-app-password-not-real';

let webdav: WebDavServer;
let ollama: OllamaStandIn;
beforeAll(async () => {
  [webdav, ollama] = await Promise.all([
    startWebDavServer({ user: USER, password: PASSWORD }),
    OllamaStandIn.start(),
  ]);
  const archive = createNextcloudArchive({ url: webdav.url, user: USER, password: PASSWORD });
  await archive.writeTextNew('Wiki_SAV/pac-coupure.md', '# PAC après coupure\nAttendre 10 min.');
  await archive.close();
});
afterAll(async () => {
  await Promise.all([webdav.close(), ollama.close()]);
});

let db: Kysely<Database & AssistantDatabase>;
let clock: TestClock;
let breaker: CredentialsBreaker;
let ports: NextcloudPorts;
let assistant: SavAssistant;
let worker: Worker;
beforeEach(async () => {
  db = await assistantDatabase();
  clock = new TestClock();
  const nextcloud = { url: webdav.url, user: USER, password: PASSWORD, deckUrl: webdav.url };
  breaker = nextcloudBreaker({ nextcloud, bots: [] }, db, clock.now)!;
  ports = nextcloudPorts({ nextcloud, deckBoard: 'ETM Chantiers', deckShareGroup: undefined }, (call) =>
    breaker.guard(call),
  );
  assistant = standInAssistant(ollama.url, db, {
    knowledge: { source: nextcloudFolderSource(ports.files!, 'Wiki_SAV') },
    clock: clock.now,
  });
  worker = testWorker({
    db,
    handlers: assistantHandlers({ db, assistant, cards: undefined, hasBotApi: () => false }),
    clock: clock.now,
  });
});
afterEach(async () => {
  await webdav.control({ reset: true, password: null });
  await Promise.all([assistant.close(), ports.close()]);
  await db.destroy();
});

const syncJob = async () => (await listJobs(db, { type: 'assistant.sync' }))[0]!;

describe('assistant.sync while Nextcloud refuses the app password', () => {
  it('waits for the office without using an attempt, then syncs once the password works again', async () => {
    // The office revoked our app password.
    await webdav.control({ password: 'fake-new-app-password' });
    await enqueue(db, assistantJobs['assistant.sync'], { idempotencyKey: 'sync', payload: {} }, clock.now());
    for (let minute = 0; minute < 60; minute++) {
      await worker.runOnce();
      clock.advance(60_000);
    }
    expect(await syncJob()).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await breaker.state()).toBe('unauthorized');
    // One refusal reached Nextcloud; every later sync waited without calling it.
    expect((await webdav.requests()).filter((request) => request.status === 401)).toHaveLength(1);

    await webdav.control({ password: null });
    expect(await breaker.resume()).toBe(true);
    clock.advance(60_000);
    await worker.runOnce();
    expect(await syncJob()).toMatchObject({ state: 'done', attempts: 1 });
    expect(ollama.calls.some((call) => call.endpoint === '/api/embed')).toBe(true);
  });
});
