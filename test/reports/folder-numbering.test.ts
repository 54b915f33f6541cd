import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, ADMIN_TOKEN } from '../support/admin.ts';
import {
  davFiles,
  NEXTCLOUD_PASSWORD,
  NEXTCLOUD_USER,
  type ReportHarness,
  reportSuite,
  startHarness,
} from '../support/report-harness.ts';
import { testDialect } from '../support/test-database.ts';
import {
  buttonUpdate,
  freshUpdateId,
  PHOTO_DATE,
  photoUpdate,
  PRIVATE_CHAT,
  TECHNICIAN,
} from '../support/updates.ts';

/**
 * Several reports filing into one client folder: each photo gets a number of its own, whatever
 * the order in which the plans and the uploads run (plans run first: report.process has a higher
 * priority than report.archive-photo), and a client gets one folder.
 */

const t = reportSuite();

/** The names of the files in the folders whose path contains `folder`, sorted. */
const namesIn = (folder: string) =>
  [...davFiles(t.remotes.webdav.root).keys()]
    .filter((path) => path.includes(folder))
    .map((path) => path.slice(path.lastIndexOf('/') + 1))
    .sort();

/** The folders of `client` under Chantiers/ (the WebDAV server keeps the files of the whole file). */
const chantierFolders = (client: string) => [
  ...new Set(
    [...davFiles(t.remotes.webdav.root).keys()]
      .filter((path) => path.startsWith('Chantiers/'))
      .map((path) => path.split('/')[1]!)
      .filter((folder) => folder.endsWith(`_${client}`)),
  ),
];

/**
 * Runs the jobs that come before the report plans, then the pending plans of `harnesses` at
 * once, as the workers of several replicas (or one worker running several jobs) do.
 */
async function planAtOnce(harnesses: readonly ReportHarness[]): Promise<void> {
  const plans: Promise<void>[] = [];
  for (const h of harnesses) {
    for (;;) {
      const run = await h.background.worker.startOne();
      if (!run) throw new Error('no report.process job to run');
      if (run.job.type === 'report.process') {
        plans.push(run.done);
        break;
      }
      await run.done;
    }
  }
  await Promise.all(plans);
}

describe('two SAV reports of the same client the same day', () => {
  it('never give two photos of the folder the same number', async () => {
    const [a, b] = t.addPhotos(2, 200);
    await t.h.post(buttonUpdate('sav', 70));
    await t.h.post(
      photoUpdate(a!.fileId, a!.uniqueId, 701, { caption: 'Müller / PAC en défaut', date: PHOTO_DATE }),
    );
    t.h.clock.advance(600_000);
    await t.h.post(buttonUpdate('sav', 71));
    await t.h.post(
      photoUpdate(b!.fileId, b!.uniqueId, 711, { caption: 'Müller / fuite ballon', date: PHOTO_DATE + 600 }),
    );
    // Both plans run before either upload: the second plan cannot see the first photo listed.
    await t.h.drain();
    expect(namesIn('SAV_Urgent/2026-03-25_Müller/')).toEqual([
      'SAV-0001.md',
      'SAV-0002.md',
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_154012.jpg',
    ]);
  });
});

describe('a late album item of a report whose folder another report filed into meanwhile', () => {
  it('takes a number no photo of the folder has', async () => {
    const [a1, a2, b1] = t.addPhotos(3, 300);
    await t.h.post(buttonUpdate('fin', 80));
    await t.h.post(
      photoUpdate(a1!.fileId, a1!.uniqueId, 801, {
        album: 'alb-a',
        caption: 'Dupont / pose',
        date: PHOTO_DATE,
      }),
    );
    t.h.clock.advance(3_000);
    await t.h.drain();
    t.h.clock.advance(60_000);
    await t.h.post(buttonUpdate('fin', 81));
    await t.h.post(
      photoUpdate(b1!.fileId, b1!.uniqueId, 811, { caption: 'Dupont / suite', date: PHOTO_DATE + 120 }),
    );
    await t.h.drain();
    await t.h.post(photoUpdate(a2!.fileId, a2!.uniqueId, 802, { album: 'alb-a', date: PHOTO_DATE + 1 }));
    await t.h.drain();
    const names = namesIn('_Dupont/30_Photos_Chantier/');
    expect(names).toHaveLength(3);
    expect(names.map((n) => n.slice(0, 8)).sort(), names.join(', ')).toEqual([
      'photo_01',
      'photo_02',
      'photo_03',
    ]);
  });
});

describe('two Fin reports of a new client, sent on different days, planned at the same moment', () => {
  /** Each test its own client: the WebDAV server keeps the files of the whole file. */
  const send = async (h: ReportHarness, client: string) => {
    const [a, b] = t.addPhotos(2, 500 + client.length);
    await h.post(buttonUpdate('fin', 60));
    await h.post(photoUpdate(a!.fileId, a!.uniqueId, 601, { caption: `${client} / pose`, date: PHOTO_DATE }));
    h.clock.advance(1_000);
    await h.post(buttonUpdate('fin', 61));
    await h.post(
      photoUpdate(b!.fileId, b!.uniqueId, 611, { caption: `${client} / reprise`, date: PHOTO_DATE + 86_400 }),
    );
  };
  const expectOneFolder = (client: string) => {
    expect(chantierFolders(client)).toEqual([`20260325_${client}`]);
    expect(namesIn(`Chantiers/20260325_${client}/30_Photos_Chantier/`)).toEqual([
      'photo_01_20260325_153012.jpg',
      'photo_02_20260326_153012.jpg',
    ]);
  };

  it('file into one folder when one worker runs both plans', async () => {
    await send(t.h, 'Kern');
    await planAtOnce([t.h, t.h]);
    await t.h.drain();
    expectOneFolder('Kern');
  });

  it.runIf(testDialect === 'postgres')('file into one folder when two replicas run them', async () => {
    const replica = await startHarness(t.remotes, { DATABASE_URL: t.h.config.databaseUrl });
    try {
      await send(t.h, 'Lenz');
      replica.clock.advance(t.h.clock.now().getTime() - replica.clock.now().getTime());
      await planAtOnce([t.h, replica]);
      await t.h.drain();
      expectOneFolder('Lenz');
    } finally {
      await replica.close();
    }
  });
});

describe('an upload that finds its name taken by a file the office put there', () => {
  it('takes a number that no photo of the folder has, nor one planned there', async () => {
    const [a, b] = t.addPhotos(2, 650);
    await t.h.post(buttonUpdate('sav', 72));
    await t.h.post(photoUpdate(a!.fileId, a!.uniqueId, 721, { caption: 'Ernst / PAC en défaut' }));
    t.h.clock.advance(600_000);
    await t.h.post(buttonUpdate('sav', 73));
    await t.h.post(
      photoUpdate(b!.fileId, b!.uniqueId, 731, { caption: 'Ernst / fuite', date: PHOTO_DATE + 600 }),
    );
    // Both reports planned (photo_01 for the first, photo_02 for the second), nothing uploaded.
    let planned = 0;
    while (planned < 2) {
      const run = await t.h.background.worker.startOne();
      if (!run) throw new Error('the plans did not run');
      await run.done;
      if (run.job.type === 'report.process') planned++;
    }
    const folder = 'SAV_Urgent/2026-03-25_Ernst';
    await putByHand(`${folder}/photo_01_20260325_153012.jpg`, Buffer.from('the office’s own file'));
    await t.h.drain();
    expect(namesIn(`${folder}/`)).toEqual([
      'SAV-0001.md',
      'SAV-0002.md',
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_154012.jpg',
      'photo_03_20260325_153012.jpg',
    ]);
  });
});

describe('a file of an album that is refused', () => {
  it('gives its number back to the next report of the folder', async () => {
    const [photo, next] = t.addPhotos(2, 600);
    const pdf = t.remotes.telegram.addFile(Buffer.from('%PDF-1.7 not a picture'), {
      mimeType: 'application/octet-stream',
    });
    await t.h.post(buttonUpdate('fin', 90));
    await t.h.post(
      photoUpdate(photo!.fileId, photo!.uniqueId, 901, { album: 'refused', caption: 'Roth / pose' }),
    );
    await t.h.post({
      update_id: freshUpdateId(),
      message: {
        message_id: 902,
        date: PHOTO_DATE,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        media_group_id: 'refused',
        document: { ...pdf, file_name: 'plan', mime_type: 'application/octet-stream' },
      },
    });
    t.h.clock.advance(3_000);
    await t.h.drain();
    await t.h.post(buttonUpdate('fin', 91));
    await t.h.post(
      photoUpdate(next!.fileId, next!.uniqueId, 911, { caption: 'Roth / suite', date: PHOTO_DATE + 60 }),
    );
    await t.h.drain();
    expect(namesIn('_Roth/30_Photos_Chantier/')).toEqual([
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_153112.jpg',
    ]);
  });
});

describe('a late album item while Nextcloud refuses the service’s password', () => {
  afterEach(async () => {
    await t.remotes.webdav.control({ password: null });
    t.remotes.deck.setPassword(NEXTCLOUD_PASSWORD);
  });

  it('is said to the technician at once, and filed after the resume under the next number', async () => {
    await t.restart({ ADMIN_TOKEN });
    const [first, late] = t.addPhotos(2, 700);
    await t.h.post(buttonUpdate('fin', 70));
    await t.h.post(
      photoUpdate(first!.fileId, first!.uniqueId, 701, { album: 'held', caption: 'Vogel / pose' }),
    );
    t.h.clock.advance(3_000);
    await t.h.drain();
    await t.remotes.webdav.control({ password: 'replaced-fake-password' });
    t.remotes.deck.setPassword('replaced-fake-password');
    await t.h.post(photoUpdate(late!.fileId, late!.uniqueId, 702, { album: 'held', date: PHOTO_DATE + 5 }));
    // Nextcloud jobs wait while the breaker is open: a few simulated minutes, not "until done".
    for (let second = 0; second < 120; second++) {
      await t.h.background.worker.runOnce();
      t.h.clock.advance(1_000);
    }
    expect(t.textsTo(TECHNICIAN.id)).toContain('📎 +1 photo ajoutée à FIN-0001.');
    expect(namesIn('_Vogel/30_Photos_Chantier/')).toEqual(['photo_01_20260325_153012.jpg']);

    await t.remotes.webdav.control({ password: null });
    t.remotes.deck.setPassword(NEXTCLOUD_PASSWORD);
    const resume = { method: 'POST' as const, url: '/admin/nextcloud/resume', headers: ADMIN_AUTH };
    expect(await t.h.inject(resume)).toEqual({ status: 200, body: { resumed: true } });
    await t.h.drain();
    expect(namesIn('_Vogel/30_Photos_Chantier/')).toEqual([
      'photo_01_20260325_153012.jpg',
      'photo_02_20260325_153017.jpg',
    ]);
  });
});

/** A file put in the folder by someone else (the office), as Nextcloud's web interface does. */
async function putByHand(path: string, bytes: Buffer): Promise<void> {
  const auth = Buffer.from(`${NEXTCLOUD_USER}:${NEXTCLOUD_PASSWORD}`).toString('base64');
  const response = await fetch(
    new URL(path.split('/').map(encodeURIComponent).join('/'), t.remotes.webdav.davUrl),
    {
      method: 'PUT',
      body: bytes,
      headers: { authorization: `Basic ${auth}` },
    },
  );
  expect(response.status).toBe(201);
}
