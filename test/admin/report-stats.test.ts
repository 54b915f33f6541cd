import { describe, expect, it } from 'vitest';
import { median, type StatsReport, summariseReports } from '../../src/admin/report-stats.ts';

const at = (iso: string) => new Date(iso).getTime();

const report = (kind: string, userId: number, name: string, created: string, confirmedAfterS?: number) =>
  ({
    kind,
    user_id: userId,
    technician_name: name,
    created_at: at(created),
    confirmed_at: confirmedAfterS === undefined ? null : at(created) + confirmedAfterS * 1000,
  }) satisfies StatsReport;

describe('median', () => {
  it.each([
    [[], null],
    [[5], 5],
    [[9, 1, 5], 5],
    [[4, 1, 3, 2], 2.5],
  ])('of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe('summariseReports', () => {
  it('counts per type, per Paris day and per technician, and the median confirmation time', () => {
    const stats = summariseReports(
      [
        report('fin', 1, 'Jean', '2026-03-24T10:00:00Z', 60),
        // 23:30 UTC is already the 25th in Paris.
        report('sav', 2, 'Paul', '2026-03-24T23:30:00Z', 30),
        report('materiel', 1, 'Jean T.', '2026-03-25T08:00:00Z'),
        report('sav', 1, 'Jean T.', '2026-03-25T09:00:00Z', 600),
      ],
      'Europe/Paris',
    );
    expect(stats).toEqual({
      byType: { fin: 1, sav: 2, materiel: 1, total: 4 },
      perDay: [
        { day: '2026-03-24', fin: 1, sav: 0, materiel: 0, total: 1 },
        { day: '2026-03-25', fin: 0, sav: 2, materiel: 1, total: 3 },
      ],
      perTechnician: [
        { userId: 1, name: 'Jean T.', fin: 1, sav: 1, materiel: 1, total: 3 },
        { userId: 2, name: 'Paul', fin: 0, sav: 1, materiel: 0, total: 1 },
      ],
      confirmation: { confirmed: 3, medianSeconds: 60 },
    });
  });

  it('has nothing to say about no reports', () => {
    expect(summariseReports([], 'Europe/Paris')).toEqual({
      byType: { fin: 0, sav: 0, materiel: 0, total: 0 },
      perDay: [],
      perTechnician: [],
      confirmation: { confirmed: 0, medianSeconds: null },
    });
  });
});
