import { describe, expect, it } from 'vitest';
import {
  allocatePhotoNumbers,
  nextPhotoNumber,
  numberAlbum,
  parsePhotoNumber,
} from '../../src/nextcloud/photo-numbering.ts';
import { photoFileName } from '../../src/nextcloud/report-paths.ts';

const unix = (iso: string) => Date.parse(iso) / 1000;

describe('parsePhotoNumber', () => {
  it.each([
    ['photo_01_20260325_143012.jpg', 1],
    ['photo_07_20260325_143012.heic', 7],
    ['photo_100_20260325_143012.jpg', 100],
    ['PHOTO_12_20260325_143012.JPG', 12],
    ['Chantiers/20260325_Müller/30_Photos_Chantier/photo_05_20260325_143012.jpg', 5],
    ['photo_20260325_143012.jpg', 1],
    ['photo_20260325_143012_02.png', 2],
    ['photo_20260325_143012_13.jpg', 13],
  ])('reads %j as number %d', (name, number) => {
    expect(parsePhotoNumber(name)).toBe(number);
  });

  it.each([
    'SAV-0042.md',
    'plan.pdf',
    'photo.jpg',
    'photo_01.jpg',
    'photo_01_2026032_143012.jpg',
    'photo_01_20260325_143012',
    'photo_01_20260325_143012.jpg.part',
    'IMG_0001.JPG',
    'photo_20260325_1430.jpg',
    'photo_12345_20260325_143012.jpg',
  ])('ignores %j', (name) => {
    expect(parsePhotoNumber(name)).toBeUndefined();
  });
});

describe('nextPhotoNumber', () => {
  it('starts at 1 in an empty folder or one without photos', () => {
    expect(nextPhotoNumber([])).toBe(1);
    expect(nextPhotoNumber(['SAV-0042.md', 'plan.pdf'])).toBe(1);
  });

  it('continues after the highest number, leaving gaps unfilled', () => {
    expect(
      nextPhotoNumber(['photo_04_20260325_143012.jpg', 'photo_01_20260325_143012.jpg', 'SAV-0042.md']),
    ).toBe(5);
  });

  it('continues after the material scheme, where the unnumbered photo is number 1', () => {
    expect(nextPhotoNumber(['photo_20260325_143012.jpg'])).toBe(2);
    expect(nextPhotoNumber(['photo_20260325_143012.jpg', 'photo_20260401_090000_03.jpg'])).toBe(4);
  });
});

describe('allocatePhotoNumbers', () => {
  it('hands out consecutive numbers after what the folder holds', () => {
    expect(allocatePhotoNumbers(['photo_02_20260325_143012.jpg'], 3)).toEqual([3, 4, 5]);
    expect(allocatePhotoNumbers([], 2)).toEqual([1, 2]);
    expect(allocatePhotoNumbers(['photo_02_20260325_143012.jpg'], 0)).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN])('refuses a count of %s', (count) => {
    expect(() => allocatePhotoNumbers([], count)).toThrow(RangeError);
  });
});

describe('numberAlbum', () => {
  it('numbers photos by message_id whatever order they arrived in, after the folder content', () => {
    const album = [{ messageId: 12 }, { messageId: 10 }, { messageId: 11 }];
    expect(numberAlbum(album, ['photo_01_20260325_143012.jpg'])).toEqual([
      { photo: { messageId: 10 }, number: 2 },
      { photo: { messageId: 11 }, number: 3 },
      { photo: { messageId: 12 }, number: 4 },
    ]);
    expect(album.map((photo) => photo.messageId)).toEqual([12, 10, 11]);
  });
});

describe('photo names across successive reports never collide', () => {
  it.each(['fin', 'sav', 'materiel'] as const)('%s: a second album taken in the same second', (kind) => {
    const sameSecond = unix('2026-03-25T13:30:12Z');
    const folder: string[] = [];
    for (let report = 0; report < 2; report += 1) {
      const numbered = numberAlbum([{ messageId: 2 }, { messageId: 1 }, { messageId: 3 }], folder);
      folder.push(...numbered.map(({ number }) => photoFileName(kind, number, sameSecond)));
    }
    expect(new Set(folder).size).toBe(6);
    expect(folder.map(parsePhotoNumber)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
