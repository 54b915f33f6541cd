import { localDateTime } from '../nextcloud/report-paths.ts';

/**
 * Calendar days in a time zone (the office reads dates in Europe/Paris, never UTC). A day is
 * written `YYYY-MM-DD`. Pure: the zone is passed in.
 */

/** Four digits, more past 9999 (as `zonedDay` writes them): the API's own pattern keeps to four. */
const DAY = /^(\d{4,6})-(\d{2})-(\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The day (`YYYY-MM-DD`) an instant (Unix ms) falls on in `timeZone`. */
export function zonedDay(instantMs: number, timeZone: string): string {
  const local = localDateTime(Math.floor(instantMs / 1000), timeZone);
  return `${local.year}-${local.month}-${local.day}`;
}

/** `YYYY-MM-DD HH:MM` in `timeZone`: what a spreadsheet shows and sorts as a date. */
export function zonedDateTime(instantMs: number, timeZone: string): string {
  const local = localDateTime(Math.floor(instantMs / 1000), timeZone);
  return `${local.year}-${local.month}-${local.day} ${local.hour}:${local.minute}`;
}

/** Whether `day` is a real calendar day written `YYYY-MM-DD` (2026-02-30 is not). */
export function isCalendarDay(day: string): boolean {
  const match = DAY.exec(day);
  if (!match) return false;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = new Date(utcMs(year, month - 1, date));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === date;
}

/**
 * The instant (Unix ms) the day `daysLater` days after `day` (negative: before) starts in
 * `timeZone`. The days are counted in numbers, never written out again: the day after
 * 9999-12-31 has no `YYYY-MM-DD`. The zone's offset is read at a first guess and read again at
 * the result, which settles days whose offset changes (DST) near midnight.
 */
export function startOfZonedDay(day: string, timeZone: string, daysLater = 0): number {
  const guess = utcMidnight(day) + daysLater * DAY_MS;
  const first = guess - offsetMs(guess, timeZone);
  const second = guess - offsetMs(first, timeZone);
  return second;
}

function utcMidnight(day: string): number {
  const match = DAY.exec(day);
  if (!match) throw new RangeError(`not a day: ${day}`);
  return utcMs(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/**
 * `Date.UTC` for every year: `Date.UTC` itself reads the years 0 to 99 as 1900 to 1999
 * (https://tc39.es/ecma262/#sec-date.utc); `setUTCFullYear` takes a year as it is.
 */
function utcMs(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date.setUTCHours(hour, minute, second, 0);
}

/** How far the zone's wall clock is ahead of UTC at an instant (whole seconds). */
function offsetMs(instantMs: number, timeZone: string): number {
  const seconds = Math.floor(instantMs / 1000);
  const local = localDateTime(seconds, timeZone);
  const utc = new Date(seconds * 1000);
  // The wall clock's year is the UTC one, but for a new year reached on one side only (Intl
  // writes a year before 1 without its era: year 0 comes out as 1).
  const month = Number(local.month) - 1;
  const newYear =
    month === 0 && utc.getUTCMonth() === 11 ? 1 : month === 11 && utc.getUTCMonth() === 0 ? -1 : 0;
  const asUtc = utcMs(
    utc.getUTCFullYear() + newYear,
    month,
    Number(local.day),
    Number(local.hour),
    Number(local.minute),
    Number(local.second),
  );
  return asUtc - seconds * 1000;
}
