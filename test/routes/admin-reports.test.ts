import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATE_BOUND_WORDS } from '../../src/routes/query-errors.ts';
import { ADMIN_AUTH, ADMIN_TOKEN, seedReport } from '../support/admin.ts';
import { createTestApp, postUpdate, type TestApp } from '../support/test-app.ts';
import { textUpdate } from '../support/updates.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ ADMIN_TOKEN });
});
afterEach(async () => t.close());

const get = (url: string) => t.app.inject({ url, headers: ADMIN_AUTH });
const publicIds = async (query: string): Promise<string[]> => {
  const response = await get(`/admin/reports${query}`);
  expect(response.statusCode, response.body).toBe(200);
  const { reports } = response.json<{ reports: { publicId: string }[] }>();
  return reports.map((report) => report.publicId);
};

const PAUL = { userId: 222222222, name: 'Paul Exemple' };

/** Five reports over three Paris days; the 24th at 23:30 UTC is already the 25th in Paris. */
async function seedOffice(): Promise<void> {
  await seedReport(t.db, {
    kind: 'fin',
    chantier: 'Müller',
    text: 'onduleur posé',
    photos: 3,
    at: '2026-03-23T09:00:00Z',
  });
  await seedReport(t.db, {
    kind: 'sav',
    chantier: 'Maison MULLER Colmar',
    text: 'PAC en défaut',
    at: '2026-03-24T23:30:00Z',
    technician: PAUL,
  });
  await seedReport(t.db, {
    kind: 'materiel',
    chantier: 'Dupont',
    text: '- cuivre 28mm - disconnecteur',
    at: '2026-03-25T08:00:00Z',
  });
  await seedReport(t.db, {
    kind: 'sav',
    chantier: 'Lefèvre',
    text: 'fuite',
    photos: 1,
    at: '2026-03-25T09:00:00Z',
    technician: PAUL,
  });
  await seedReport(t.db, {
    kind: 'fin',
    chantier: 'Éléonore',
    text: '',
    photos: 2,
    at: '2026-03-26T07:00:00Z',
  });
}

describe('GET /admin/reports', () => {
  it('lists reports newest first, with a total', async () => {
    await seedOffice();
    const response = await get('/admin/reports');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ total: 5, limit: 50, offset: 0, nextOffset: null });
    expect(body.reports.map((report: { publicId: string }) => report.publicId)).toEqual([
      'FIN-0002',
      'SAV-0002',
      'MAT-0001',
      'SAV-0001',
      'FIN-0001',
    ]);
    expect(body.reports[2]).toEqual({
      id: expect.any(Number),
      publicId: 'MAT-0001',
      type: 'materiel',
      slug: 'etm-terrain',
      technician: { userId: 111111111, name: 'Jean Test' },
      chantier: 'Dupont',
      text: '- cuivre 28mm - disconnecteur',
      items: ['cuivre 28mm', 'disconnecteur'],
      photoCount: 0,
      status: 'received',
      createdAt: '2026-03-25T08:00:00.000Z',
      updatedAt: '2026-03-25T08:00:00.000Z',
      confirmedAt: null,
      folder: null,
      deckCardId: null,
      deckCardUrl: null,
    });
  });

  it.each([
    ['?type=sav', ['SAV-0002', 'SAV-0001']],
    ['?chantier=muller', ['SAV-0001', 'FIN-0001']],
    ['?chantier=MÜLL', ['SAV-0001', 'FIN-0001']],
    ['?chantier=eleonore', ['FIN-0002']],
    ['?chantier=lefevre&type=sav', ['SAV-0002']],
    ['?technician=paul', ['SAV-0002', 'SAV-0001']],
    ['?technician=jean&chantier=muller', ['FIN-0001']],
    // Paris days: the report at 23:30 UTC on the 24th belongs to the 25th.
    ['?from=2026-03-25&to=2026-03-25', ['SAV-0002', 'MAT-0001', 'SAV-0001']],
    ['?to=2026-03-24', ['FIN-0001']],
    ['?from=2026-03-26', ['FIN-0002']],
    ['?from=2026-03-25T08:00:00Z&to=2026-03-25T09:00:00Z', ['SAV-0002', 'MAT-0001']],
    // The farthest days the query string takes: "everything", as an office user writes it.
    ['?to=9999-12-31', ['FIN-0002', 'SAV-0002', 'MAT-0001', 'SAV-0001', 'FIN-0001']],
    ['?from=2026-03-25&to=9999-12-31', ['FIN-0002', 'SAV-0002', 'MAT-0001', 'SAV-0001']],
    ['?from=0001-01-01&to=2026-03-24', ['FIN-0001']],
    ['?to=9999-12-31T23:59:59.999-23:59', ['FIN-0002', 'SAV-0002', 'MAT-0001', 'SAV-0001', 'FIN-0001']],
    ['?chantier=nobody', []],
  ])('filters %s', async (query, expected) => {
    await seedOffice();
    expect(await publicIds(query)).toEqual(expected);
    expect((await get(`/admin/reports${query}`)).json().total).toBe(expected.length);
  });

  it('filters by status', async () => {
    await seedOffice();
    await t.db
      .updateTable('reports')
      .set({ status: 'done' })
      .where('public_id', 'in', ['FIN-0001', 'SAV-0002'])
      .execute();
    expect(await publicIds('?status=done')).toEqual(['SAV-0002', 'FIN-0001']);
    expect(await publicIds('?status=failed')).toEqual([]);
  });

  it.each(['', '&chantier=e'])(
    'pages with limit and offset, the total counting every match%s',
    async (extra) => {
      await seedOffice();
      const all = await publicIds(`?limit=500${extra}`);
      const first = (await get(`/admin/reports?limit=2${extra}`)).json();
      const second = (await get(`/admin/reports?limit=2&offset=2${extra}`)).json();
      const last = (await get(`/admin/reports?limit=2&offset=${all.length - 1}${extra}`)).json();
      expect(first).toMatchObject({ total: all.length, limit: 2, offset: 0, nextOffset: 2 });
      expect(second).toMatchObject({ total: all.length, offset: 2 });
      expect(last).toMatchObject({ total: all.length, nextOffset: null });
      const paged = [...first.reports, ...second.reports].map(
        (report: { publicId: string }) => report.publicId,
      );
      expect(paged).toEqual(all.slice(0, 4));
      expect(last.reports.map((report: { publicId: string }) => report.publicId)).toEqual(all.slice(-1));
      const beyond = (await get(`/admin/reports?offset=100${extra}`)).json();
      expect(beyond).toMatchObject({ total: all.length, nextOffset: null, reports: [] });
      // The largest offset taken reaches either database's OFFSET as it is.
      const farthest = await get(`/admin/reports?offset=${Number.MAX_SAFE_INTEGER}${extra}`);
      expect(farthest.statusCode, farthest.body).toBe(200);
      expect(farthest.json()).toMatchObject({ total: all.length, nextOffset: null, reports: [] });
    },
  );

  it.each([
    ['?type=devis', 'invalid_request'],
    ['?status=lost', 'invalid_request'],
    ['?limit=0', 'invalid_request'],
    ['?limit=501', 'invalid_request'],
    ['?offset=-1', 'invalid_request'],
    ['?offset=9007199254740992', 'invalid_request'],
    ['?offset=100000000000000000000', 'invalid_request'],
    ['?limit=100000000000000000000', 'invalid_request'],
    ['?from=25/03/2026', 'invalid_request'],
    ['?from=2026-03-25T10:00:00', 'invalid_request'],
    ['?from=2026-02-30', 'invalid_date_range'],
    ['?from=2026-03-26&to=2026-03-25', 'invalid_date_range'],
    ['?chantier=', 'invalid_request'],
  ])('refuses %s with %s', async (query, code) => {
    const response = await get(`/admin/reports${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: code, message: expect.any(String) });
  });

  it.each(['?from=25/03/2026', '?to=2026-03-25T10:00:00', '?from=hier'])(
    'says in words what a date must look like: %s',
    async (query) => {
      const response = await get(`/admin/reports${query}`);
      expect(response.json()).toEqual({
        error: 'invalid_request',
        message: `${query.slice(1, query.indexOf('='))} must be ${DATE_BOUND_WORDS}`,
      });
      expect(response.json().message).not.toMatch(/[[\]^$]/u);
    },
  );
});

describe('GET /admin/reports/{id}', () => {
  it('finds a report by numeric id or by public id, with its photos', async () => {
    const row = await seedReport(t.db, {
      kind: 'sav',
      chantier: 'Müller',
      text: 'PAC en défaut',
      photos: 2,
      at: '2026-03-25T09:00:00Z',
    });
    for (const key of [String(row.id), 'SAV-0001', 'sav-0001', 'SAV-1']) {
      const response = await get(`/admin/reports/${key}`);
      expect(response.statusCode, key).toBe(200);
      expect(response.json()).toMatchObject({
        id: row.id,
        publicId: 'SAV-0001',
        chantier: 'Müller',
        photoCount: 2,
      });
    }
    expect((await get('/admin/reports/SAV-0001')).json().photos).toEqual([
      { messageId: 100, date: '2026-03-25T14:30:00.000Z', source: 'photo', mimeType: null, fileName: null },
      { messageId: 101, date: '2026-03-25T14:30:00.000Z', source: 'photo', mimeType: null, fileName: null },
    ]);
  });

  it.each(['FIN-0001', 'SAV-0002', 'XYZ-0001', '999'])('answers 404 for %s', async (key) => {
    await seedReport(t.db, { kind: 'sav', chantier: 'Müller', at: '2026-03-25T09:00:00Z' });
    const response = await get(`/admin/reports/${key}`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'report_not_found', message: `no report ${key}` });
  });

  it('answers 400 for something that is no report id', async () => {
    expect((await get('/admin/reports/SAV_0001')).statusCode).toBe(400);
  });

  it('shows a report the conversation recorded from real updates', async () => {
    const post = (update: unknown) => postUpdate(t.app, update);
    expect((await post(textUpdate('/materiel'))).statusCode).toBe(200);
    expect((await post(textUpdate('Müller / - cuivre 28mm - soupape anti-gel'))).statusCode).toBe(200);
    const report = (await get('/admin/reports/MAT-0001')).json();
    expect(report).toMatchObject({
      publicId: 'MAT-0001',
      type: 'materiel',
      chantier: 'Müller',
      items: ['cuivre 28mm', 'soupape anti-gel'],
      technician: { userId: 111111111, name: expect.stringContaining('Jean') },
    });
  });
});

describe('GET /admin/reports.csv', () => {
  const csv = async (query = '') => {
    const response = await get(`/admin/reports.csv${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response;
  };
  const dataLines = (body: string) => body.split('\r\n').slice(1, -1);

  it('serves UTF-8 with a byte-order mark, as an attachment, one line per report', async () => {
    await seedOffice();
    const response = await csv();
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="rapports-2026-03-25.csv"');
    expect(response.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = dataLines(response.body);
    expect(lines).toHaveLength(5);
    expect(response.body).toContain(
      'SAV-0001;Alerte SAV;2026-03-25 00:30;Paul Exemple;Maison MULLER Colmar;PAC en défaut;;0;reçu;;;\r\n',
    );
    expect(response.body).toContain(
      'MAT-0001;Matériel manquant;2026-03-25 09:00;Jean Test;Dupont;• cuivre 28mm • disconnecteur;• cuivre 28mm • disconnecteur;0;reçu;;;\r\n',
    );
    expect(Buffer.from(response.rawPayload).toString('utf8')).toContain('Müller');
  });

  it('applies the same filters as the list', async () => {
    await seedOffice();
    const lines = dataLines((await csv('?chantier=muller&type=sav')).body);
    expect(lines.map((line) => line.split(';')[0])).toEqual(['SAV-0001']);
    const byDay = dataLines((await csv('?from=2026-03-26')).body);
    expect(byDay.map((line) => line.split(';')[0])).toEqual(['FIN-0002']);
    const toTheEnd = dataLines((await csv('?from=2026-03-26&to=9999-12-31')).body);
    expect(toTheEnd.map((line) => line.split(';')[0])).toEqual(['FIN-0002']);
  });

  it('quotes what would break a line or a column', async () => {
    await seedReport(t.db, {
      kind: 'sav',
      chantier: 'Dupont; "Le Moulin"',
      text: 'Fuite\nsous l’évier',
      at: '2026-03-25T09:00:00Z',
    });
    const { body } = await csv();
    expect(body).toContain(';"Dupont; ""Le Moulin""";"Fuite\nsous l’évier";');
  });

  it('refuses bad filters like the list does', async () => {
    const response = await get('/admin/reports.csv?from=2026-02-30');
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_date_range');
  });
});
