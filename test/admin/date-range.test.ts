import { describe, expect, it } from 'vitest';
import { DATE_BOUND_PATTERN, parseDateRange } from '../../src/admin/date-range.ts';

const PARIS = 'Europe/Paris';
const at = (iso: string) => new Date(iso).getTime();

describe('parseDateRange', () => {
  it('has no bounds when none is given', () => {
    expect(parseDateRange(undefined, undefined, PARIS)).toEqual({
      range: { fromMs: undefined, toMs: undefined },
    });
  });

  it('reads days as whole Paris days, the `to` day included', () => {
    expect(parseDateRange('2026-03-01', '2026-03-31', PARIS)).toEqual({
      range: { fromMs: at('2026-02-28T23:00:00Z'), toMs: at('2026-03-31T22:00:00Z') },
    });
  });

  it('takes one day as both bounds', () => {
    expect(parseDateRange('2026-03-25', '2026-03-25', PARIS)).toEqual({
      range: { fromMs: at('2026-03-24T23:00:00Z'), toMs: at('2026-03-25T23:00:00Z') },
    });
  });

  it('reads date-times as exact instants, `to` included', () => {
    expect(parseDateRange('2026-03-25T14:00:00+01:00', '2026-03-25T14:30:00Z', PARIS)).toEqual({
      range: { fromMs: at('2026-03-25T13:00:00Z'), toMs: at('2026-03-25T14:30:00Z') + 1 },
    });
  });

  it('takes the farthest days the query string accepts, as an office user types them for "all"', () => {
    expect(parseDateRange('0001-01-01', '9999-12-31', 'UTC')).toEqual({
      range: { fromMs: at('0001-01-01T00:00:00Z'), toMs: at('9999-12-31T00:00:00Z') + 24 * 60 * 60 * 1000 },
    });
    expect(parseDateRange(undefined, '9999-12-31', PARIS)).toEqual({
      range: { fromMs: undefined, toMs: at('9999-12-31T23:00:00Z') },
    });
  });

  it.each([
    ['2026-02-30', undefined, 'from is not a real date: 2026-02-30'],
    [undefined, '2026-04-31', 'to is not a real date: 2026-04-31'],
    ['2026-02-30T10:00:00Z', undefined, 'from is not a real date: 2026-02-30T10:00:00Z'],
    ['2026-03-25T25:00:00Z', undefined, 'from is not a real date: 2026-03-25T25:00:00Z'],
    ['2026-03-26', '2026-03-25', 'from must come before to'],
  ])('refuses from=%s to=%s', (from, to, problem) => {
    expect(parseDateRange(from, to, PARIS)).toEqual({ problem });
  });

  it.each([
    ['2026-03-25', true],
    ['2026-03-25T14:30Z', true],
    ['2026-03-25T14:30:00.123+02:00', true],
    ['2026-03-25T14:30:00', false], // no offset: ambiguous
    ['25/03/2026', false],
    ['2026-03-25 14:30', false],
  ])('lets the query string accept %s: %s', (value, accepted) => {
    expect(new RegExp(DATE_BOUND_PATTERN).test(value)).toBe(accepted);
  });
});
