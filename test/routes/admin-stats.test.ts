import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { telegramJobs } from '../../src/telegram/telegram-jobs.ts';
import { enqueue } from '../../src/queue/enqueue.ts';
import { claimNextJob, failJob } from '../../src/queue/job-store.ts';
import { ADMIN_AUTH, ADMIN_TOKEN, seedReport } from '../support/admin.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ ADMIN_TOKEN });
});
afterEach(async () => t.close());

const get = (url: string) => t.app.inject({ url, headers: ADMIN_AUTH });
const PAUL = { userId: 222222222, name: 'Paul Exemple' };

async function confirmAfter(publicId: string, seconds: number): Promise<void> {
  const row = await t.db
    .selectFrom('reports')
    .select('created_at')
    .where('public_id', '=', publicId)
    .executeTakeFirstOrThrow();
  await t.db
    .updateTable('reports')
    .set({ confirmed_at: row.created_at + seconds * 1000, status: 'done' })
    .where('public_id', '=', publicId)
    .execute();
}

async function enqueueMessages(keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await enqueue(
      t.db,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: key,
        payload: { slug: 'etm-terrain', chatId: 1, text: key },
      },
      t.clock.now,
    );
  }
}

describe('GET /admin/stats', () => {
  it('counts reports per type per Paris day and per technician, the median confirmation time and the queue', async () => {
    // The test clock stands at 2026-03-25T14:30Z: the default range is 24 February to 25 March.
    await seedReport(t.db, { kind: 'fin', chantier: 'Ancien', at: '2026-02-23T12:00:00Z' });
    await seedReport(t.db, { kind: 'fin', chantier: 'Müller', at: '2026-03-23T09:00:00Z' });
    await seedReport(t.db, { kind: 'sav', chantier: 'Muller', at: '2026-03-24T23:30:00Z', technician: PAUL });
    await seedReport(t.db, { kind: 'materiel', chantier: 'Dupont', at: '2026-03-25T08:00:00Z' });
    await confirmAfter('FIN-0002', 40);
    await confirmAfter('SAV-0001', 100);
    await confirmAfter('MAT-0001', 70);

    await enqueueMessages(['a', 'b', 'c']);
    const job = await claimNextJob(t.db, {
      workerId: 'w',
      now: t.clock.now,
      lockMs: 60_000,
      types: ['telegram.send-message'],
    });
    await failJob(t.db, job!, { action: 'fail', reason: 'chat not found' }, t.clock.now);
    await claimNextJob(t.db, {
      workerId: 'w',
      now: t.clock.now,
      lockMs: 60_000,
      types: ['telegram.send-message'],
    });

    const response = await get('/admin/stats');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      timeZone: 'Europe/Paris',
      from: '2026-02-23T23:00:00.000Z',
      to: '2026-03-25T23:00:00.000Z',
      reports: {
        byType: { fin: 1, sav: 1, materiel: 1, total: 3 },
        perDay: [
          { day: '2026-03-23', fin: 1, sav: 0, materiel: 0, total: 1 },
          { day: '2026-03-25', fin: 0, sav: 1, materiel: 1, total: 2 },
        ],
        perTechnician: [
          { userId: 111111111, name: 'Jean Test', fin: 1, sav: 0, materiel: 1, total: 2 },
          { userId: 222222222, name: 'Paul Exemple', fin: 0, sav: 1, materiel: 0, total: 1 },
        ],
        confirmation: { confirmed: 3, medianSeconds: 70 },
      },
      jobs: { pending: 1, running: 1, dead: 1 },
    });
  });

  it('covers the range asked for, days in Paris', async () => {
    await seedReport(t.db, { kind: 'fin', chantier: 'Ancien', at: '2026-02-23T12:00:00Z' });
    await seedReport(t.db, { kind: 'sav', chantier: 'Muller', at: '2026-03-24T23:30:00Z' });
    const response = await get('/admin/stats?from=2026-02-01&to=2026-03-24');
    expect(response.json()).toMatchObject({
      from: '2026-01-31T23:00:00.000Z',
      to: '2026-03-24T23:00:00.000Z',
      reports: {
        byType: { fin: 1, sav: 0, materiel: 0, total: 1 },
        perDay: [{ day: '2026-02-23', total: 1 }],
      },
    });
  });

  it.each([
    ['?from=2026-01-01&to=9999-12-31', '2025-12-31T23:00:00.000Z', '9999-12-31T23:00:00.000Z', 2],
    ['?from=0001-01-01', '0000-12-31T23:50:39.000Z', '2026-03-25T23:00:00.000Z', 2],
    // Without `from`: the 30 days up to `to`, none of them with a report.
    ['?to=9999-12-31', '9999-12-01T23:00:00.000Z', '9999-12-31T23:00:00.000Z', 0],
    // 10000-01-01T23:58:59.999Z, already 10000-01-02 in Paris (Date writes such years with a sign).
    ['?to=9999-12-31T23:59:59.999-23:59', '9999-12-03T23:00:00.000Z', '+010000-01-01T23:59:00.000Z', 0],
  ])('covers the farthest bounds the query string takes: %s', async (query, from, to, total) => {
    await seedReport(t.db, { kind: 'fin', chantier: 'Ancien', at: '2026-02-23T12:00:00Z' });
    await seedReport(t.db, { kind: 'sav', chantier: 'Muller', at: '2026-03-24T23:30:00Z' });
    const response = await get(`/admin/stats${query}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ from, to, reports: { byType: { total } } });
  });

  it('has no median before any report was confirmed', async () => {
    await seedReport(t.db, { kind: 'sav', chantier: 'Muller', at: '2026-03-25T10:00:00Z' });
    const body = (await get('/admin/stats')).json();
    expect(body.reports.confirmation).toEqual({ confirmed: 0, medianSeconds: null });
    expect(body.jobs).toEqual({ pending: 0, running: 0, dead: 0 });
  });

  it.each(['?from=2026-03-26&to=2026-03-01', '?to=2026-02-31', '?from=yesterday'])(
    'refuses %s',
    async (query) => {
      const response = await get(`/admin/stats${query}`);
      expect(response.statusCode).toBe(400);
    },
  );
});
