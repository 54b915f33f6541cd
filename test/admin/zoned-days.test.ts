import { describe, expect, it } from 'vitest';
import { isCalendarDay, startOfZonedDay, zonedDateTime, zonedDay } from '../../src/admin/zoned-days.ts';

const PARIS = 'Europe/Paris';
const at = (iso: string) => new Date(iso).getTime();

describe('days in a time zone', () => {
  it('starts a winter day in Paris at 23:00 UTC the day before', () => {
    expect(startOfZonedDay('2026-01-15', PARIS)).toBe(at('2026-01-14T23:00:00Z'));
  });

  it('starts a summer day in Paris at 22:00 UTC the day before', () => {
    expect(startOfZonedDay('2026-07-14', PARIS)).toBe(at('2026-07-13T22:00:00Z'));
  });

  it('handles the days the clocks change (29 March and 25 October 2026)', () => {
    expect(startOfZonedDay('2026-03-29', PARIS)).toBe(at('2026-03-28T23:00:00Z'));
    expect(startOfZonedDay('2026-03-30', PARIS)).toBe(at('2026-03-29T22:00:00Z'));
    expect(startOfZonedDay('2026-10-25', PARIS)).toBe(at('2026-10-24T22:00:00Z'));
    expect(startOfZonedDay('2026-10-26', PARIS)).toBe(at('2026-10-25T23:00:00Z'));
  });

  it('starts a day at UTC midnight in UTC', () => {
    expect(startOfZonedDay('2026-03-25', 'UTC')).toBe(at('2026-03-25T00:00:00Z'));
  });

  it('puts an instant on its Paris day, not its UTC day', () => {
    expect(zonedDay(at('2026-03-25T23:30:00Z'), PARIS)).toBe('2026-03-26');
    expect(zonedDay(at('2026-03-25T22:59:59Z'), PARIS)).toBe('2026-03-25');
    expect(zonedDay(at('2026-03-25T23:30:00Z'), 'UTC')).toBe('2026-03-25');
  });

  it('writes date and time in the zone for spreadsheets', () => {
    expect(zonedDateTime(at('2026-03-25T14:30:59Z'), PARIS)).toBe('2026-03-25 15:30');
    expect(zonedDateTime(at('2026-07-01T22:05:00Z'), PARIS)).toBe('2026-07-02 00:05');
  });

  it('starts the day some days later or earlier, across months, years and clock changes', () => {
    expect(startOfZonedDay('2026-03-31', PARIS, 1)).toBe(at('2026-03-31T22:00:00Z'));
    expect(startOfZonedDay('2026-01-01', PARIS, -1)).toBe(at('2025-12-30T23:00:00Z'));
    expect(startOfZonedDay('2026-03-25', PARIS, -29)).toBe(at('2026-02-23T23:00:00Z'));
    expect(startOfZonedDay('2026-03-28', PARIS, 2)).toBe(at('2026-03-29T22:00:00Z'));
  });

  it('starts the day after 9999-12-31, which has no YYYY-MM-DD', () => {
    expect(startOfZonedDay('9999-12-31', PARIS, 1)).toBe(at('9999-12-31T23:00:00Z'));
    expect(startOfZonedDay('9999-12-31', 'UTC', 1)).toBe(Date.UTC(9999, 11, 31) + 24 * 60 * 60 * 1000);
    expect(zonedDay(at('9999-12-31T23:30:00Z'), PARIS)).toBe('10000-01-01');
    expect(startOfZonedDay('10000-01-01', PARIS)).toBe(at('9999-12-31T23:00:00Z'));
  });

  // Date.UTC reads the years 0 to 99 as 1900 to 1999; Intl writes year 0 as 1 (without its era).
  it('starts the days of the first years, Paris then on its local mean time (+00:09:21)', () => {
    expect(startOfZonedDay('0001-01-01', 'UTC')).toBe(at('0001-01-01T00:00:00Z'));
    expect(startOfZonedDay('0050-06-15', PARIS)).toBe(at('0050-06-14T23:50:39Z'));
    expect(startOfZonedDay('0001-01-01', PARIS, -1)).toBe(at('0000-12-30T23:50:39Z'));
  });

  it.each([
    ['2026-02-28', true],
    ['2028-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['2026-04-31', false],
    ['2026-4-1', false],
    ['26-04-01', false],
    ['9999-12-31', true],
    ['0001-01-01', true],
    ['0099-02-29', false],
    ['0096-02-29', true],
  ])('knows whether %s is a calendar day', (day, real) => {
    expect(isCalendarDay(day)).toBe(real);
  });
});
