import { describe, expect, it } from 'vitest';
import {
  clientFoldersParent,
  localDateTime,
  markdownReportFileName,
  photoExtension,
  photoFileName,
  reportFolder,
} from '../../src/nextcloud/report-paths.ts';

/** Unix seconds of an ISO instant, written in UTC so that every test states the real instant. */
const unix = (iso: string) => Date.parse(iso) / 1000;

// 14:30:12 in Paris on 25 March 2026 (winter time, UTC+1): the business's example.
const SPEC_EXAMPLE = unix('2026-03-25T13:30:12Z');

describe('localDateTime', () => {
  it('renders the instant in Europe/Paris by default, not UTC', () => {
    expect(localDateTime(SPEC_EXAMPLE)).toEqual({
      year: '2026',
      month: '03',
      day: '25',
      hour: '14',
      minute: '30',
      second: '12',
    });
  });

  it('renders midnight as 00, not 24', () => {
    expect(localDateTime(unix('2026-03-24T23:00:00Z'), 'Europe/Paris').hour).toBe('00');
  });

  it('follows the given time zone', () => {
    expect(localDateTime(SPEC_EXAMPLE, 'UTC').hour).toBe('13');
    expect(localDateTime(SPEC_EXAMPLE, 'America/New_York').hour).toBe('09');
  });

  it('rejects an unknown time zone and a date that is not a number', () => {
    expect(() => localDateTime(SPEC_EXAMPLE, 'Europe/Nowhere')).toThrow(RangeError);
    expect(() => localDateTime(Number.NaN)).toThrow(RangeError);
  });
});

describe('reportFolder', () => {
  it('files an end of job under Chantiers/YYYYMMDD_Client/30_Photos_Chantier', () => {
    expect(reportFolder('fin', 'Müller', SPEC_EXAMPLE)).toEqual({
      segments: ['Chantiers', '20260325_Müller', '30_Photos_Chantier'],
      path: 'Chantiers/20260325_Müller/30_Photos_Chantier',
      reused: false,
    });
  });

  it('files an after-sales alert under SAV_Urgent/YYYY-MM-DD_Client', () => {
    expect(reportFolder('sav', 'Müller', SPEC_EXAMPLE)).toEqual({
      segments: ['SAV_Urgent', '2026-03-25_Müller'],
      path: 'SAV_Urgent/2026-03-25_Müller',
      reused: false,
    });
  });

  it('files missing material under Logistique/Manquants/Client', () => {
    expect(reportFolder('materiel', 'Müller', SPEC_EXAMPLE)).toEqual({
      segments: ['Logistique', 'Manquants', 'Müller'],
      path: 'Logistique/Manquants/Müller',
      reused: false,
    });
  });

  it('sanitises the client and composes NFD input into NFC segments', () => {
    const result = reportFolder('fin', '  ../Mu\u0308ller/PAC. ', SPEC_EXAMPLE);
    expect(result.path).toBe('Chantiers/20260325_M\u00fcller PAC/30_Photos_Chantier');
    for (const segment of result.segments) {
      expect(segment).toBe(segment.normalize('NFC'));
      expect(segment).not.toMatch(/[/\\]/);
    }
  });

  it('uses the fallback name when nothing usable is left of the client', () => {
    expect(reportFolder('sav', '///', SPEC_EXAMPLE).path).toBe('SAV_Urgent/2026-03-25_Sans_nom');
    expect(reportFolder('materiel', '..', SPEC_EXAMPLE).path).toBe('Logistique/Manquants/Sans_nom');
  });

  it('dates a report sent just after midnight in Paris on the Paris day, not the UTC day', () => {
    const justAfterMidnight = unix('2026-03-24T23:30:00Z'); // 00:30 on 25 March in Paris
    expect(reportFolder('fin', 'Müller', justAfterMidnight).segments[1]).toBe('20260325_Müller');
    expect(reportFolder('sav', 'Müller', justAfterMidnight).segments[1]).toBe('2026-03-25_Müller');
    const summerNight = unix('2026-07-14T22:15:00Z'); // 00:15 on 15 July in Paris (UTC+2)
    expect(reportFolder('fin', 'Müller', summerNight).segments[1]).toBe('20260715_Müller');
  });

  it('reuses an existing chantier folder of the same client, whatever its date and spelling', () => {
    const result = reportFolder('fin', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', [
      '20250101_Dupont',
      '20250101_muller',
      'Archives',
    ]);
    expect(result).toEqual({
      segments: ['Chantiers', '20250101_muller', '30_Photos_Chantier'],
      path: 'Chantiers/20250101_muller/30_Photos_Chantier',
      reused: true,
    });
  });

  it('picks the most recent dated folder when several match, whatever the listing order', () => {
    const listing = ['20240615_MULLER', '20251102_muller', '20250101_Müller', 'Müller', '20251102x_Müller'];
    for (const names of [listing, [...listing].reverse()]) {
      expect(reportFolder('fin', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', names).segments[1]).toBe(
        '20251102_muller',
      );
    }
  });

  it('prefers the exact spelling among folders of the same date, then code-unit order', () => {
    const sameDay = ['20251102_MULLER', '20251102_Müller', '20251102_muller'];
    expect(reportFolder('fin', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', sameDay).segments[1]).toBe(
      '20251102_Müller',
    );
    expect(reportFolder('fin', 'Muller', SPEC_EXAMPLE, 'Europe/Paris', sameDay).segments[1]).toBe(
      '20251102_MULLER',
    );
  });

  it('creates a new dated folder when no listed folder is the same client', () => {
    const result = reportFolder('fin', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', [
      '20250101_Mulle',
      '20250101_Jean Müller',
      'Müller',
    ]);
    expect(result.segments[1]).toBe('20260325_Müller');
    expect(result.reused).toBe(false);
  });

  it('reads listings with trailing slashes and NFD names, and returns the reused name in NFC', () => {
    const result = reportFolder('fin', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', ['20250101_Mu\u0308ller/']);
    expect(result.segments[1]).toBe('20250101_M\u00fcller');
  });

  it('ignores listed names that are not a single plain segment', () => {
    const result = reportFolder('materiel', 'x', SPEC_EXAMPLE, 'Europe/Paris', ['..', '.', 'a/x', '']);
    expect(result.segments).toEqual(['Logistique', 'Manquants', 'x']);
  });

  it('reuses an after-sales folder of the same client only on the same day', () => {
    expect(
      reportFolder('sav', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', ['2026-03-25_muller', '2026-03-24_Müller']),
    ).toMatchObject({ path: 'SAV_Urgent/2026-03-25_muller', reused: true });
    expect(
      reportFolder('sav', 'Müller', SPEC_EXAMPLE, 'Europe/Paris', ['2026-03-24_Müller', '20260325_Müller']),
    ).toMatchObject({ path: 'SAV_Urgent/2026-03-25_Müller', reused: false });
  });

  it('reuses a missing-material folder of the same client', () => {
    expect(
      reportFolder('materiel', 'muller', SPEC_EXAMPLE, 'Europe/Paris', ['Dupont', 'Müller']),
    ).toMatchObject({ path: 'Logistique/Manquants/Müller', reused: true });
  });

  it('names the folder to list for each kind', () => {
    expect(clientFoldersParent('fin')).toEqual({ segments: ['Chantiers'], path: 'Chantiers' });
    expect(clientFoldersParent('sav')).toEqual({ segments: ['SAV_Urgent'], path: 'SAV_Urgent' });
    expect(clientFoldersParent('materiel')).toEqual({
      segments: ['Logistique', 'Manquants'],
      path: 'Logistique/Manquants',
    });
  });
});

describe('photoFileName', () => {
  it('gives the business example for an end of job', () => {
    const folder = reportFolder('fin', 'Müller', SPEC_EXAMPLE);
    expect(`${folder.path}/${photoFileName('fin', 1, SPEC_EXAMPLE)}`).toBe(
      'Chantiers/20260325_Müller/30_Photos_Chantier/photo_01_20260325_143012.jpg',
    );
  });

  it('numbers fin and sav photos with at least two digits', () => {
    expect(photoFileName('sav', 7, SPEC_EXAMPLE)).toBe('photo_07_20260325_143012.jpg');
    expect(photoFileName('fin', 42, SPEC_EXAMPLE)).toBe('photo_42_20260325_143012.jpg');
    expect(photoFileName('fin', 100, SPEC_EXAMPLE)).toBe('photo_100_20260325_143012.jpg');
  });

  it('names the first material photo without a number and the following ones with _NN', () => {
    expect(photoFileName('materiel', 1, SPEC_EXAMPLE)).toBe('photo_20260325_143012.jpg');
    expect(photoFileName('materiel', 2, SPEC_EXAMPLE)).toBe('photo_20260325_143012_02.jpg');
    expect(photoFileName('materiel', 12, SPEC_EXAMPLE)).toBe('photo_20260325_143012_12.jpg');
  });

  it('uses the given extension', () => {
    expect(photoFileName('fin', 3, SPEC_EXAMPLE, 'Europe/Paris', 'heic')).toBe(
      'photo_03_20260325_143012.heic',
    );
    expect(photoFileName('materiel', 2, SPEC_EXAMPLE, 'Europe/Paris', 'png')).toBe(
      'photo_20260325_143012_02.png',
    );
  });

  it('follows the spring change to summer time in Paris (last Sunday of March)', () => {
    expect(photoFileName('fin', 1, unix('2026-03-29T00:59:59Z'))).toBe('photo_01_20260329_015959.jpg');
    expect(photoFileName('fin', 2, unix('2026-03-29T01:00:00Z'))).toBe('photo_02_20260329_030000.jpg');
  });

  it('follows the autumn change to winter time, where the same hour happens twice', () => {
    const summer = photoFileName('sav', 1, unix('2026-10-25T00:30:00Z'));
    const winter = photoFileName('sav', 2, unix('2026-10-25T01:30:00Z'));
    expect(summer).toBe('photo_01_20261025_023000.jpg');
    expect(winter).toBe('photo_02_20261025_023000.jpg');
    expect(photoFileName('materiel', 1, unix('2026-10-25T00:30:00Z'))).not.toBe(
      photoFileName('materiel', 2, unix('2026-10-25T01:30:00Z')),
    );
  });

  it('uses the photo time in the given time zone', () => {
    expect(photoFileName('fin', 1, SPEC_EXAMPLE, 'UTC')).toBe('photo_01_20260325_133012.jpg');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses position %s', (position) => {
    expect(() => photoFileName('fin', position, SPEC_EXAMPLE)).toThrow(RangeError);
  });
});

describe('photoExtension', () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
  const webp = new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ');
  const heic = new TextEncoder().encode('\u0000\u0000\u0000\u0018ftypheic\u0000\u0000\u0000\u0000');

  it('recognises the image from its bytes first', () => {
    expect(photoExtension({ bytes: jpeg })).toBe('jpg');
    expect(photoExtension({ bytes: png, mimeType: 'image/jpeg', fileName: 'x.jpg' })).toBe('png');
    expect(photoExtension({ bytes: webp })).toBe('webp');
    expect(photoExtension({ bytes: heic })).toBe('heic');
  });

  it('falls back on the declared MIME type, then on the file name', () => {
    expect(photoExtension({ bytes: Uint8Array.from([1, 2, 3]), mimeType: 'image/HEIF' })).toBe('heic');
    expect(photoExtension({ mimeType: 'image/webp; q=1', fileName: 'a.png' })).toBe('webp');
    expect(photoExtension({ mimeType: 'application/octet-stream', fileName: 'photos/file_12.PNG' })).toBe(
      'png',
    );
    expect(photoExtension({ fileName: 'IMG_0001.JPEG' })).toBe('jpg');
  });

  it('defaults to jpg, the format of Telegram photos', () => {
    expect(photoExtension()).toBe('jpg');
    expect(photoExtension({ fileName: 'plan.pdf', mimeType: 'application/pdf' })).toBe('jpg');
  });
});

describe('markdownReportFileName', () => {
  it('is the report id with .md', () => {
    expect(markdownReportFileName('SAV-0042')).toBe('SAV-0042.md');
    expect(markdownReportFileName('MAT-0007')).toBe('MAT-0007.md');
  });

  it.each(['', '../SAV-1', 'SAV/1', 'SAV 1', '.md'])('refuses the id %j', (id) => {
    expect(() => markdownReportFileName(id)).toThrow(RangeError);
  });
});
