import { localDateTime } from '../nextcloud/report-paths.ts';

/**
 * Calendar days in a time zone (the office reads dates in Europe/Paris, never UTC). A day is
 * written `YYYY-MM-DD`. Pure: the zone is passed in.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
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
  const utc = new Date(Date.UTC(year, month - 1, date));
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === date;
}

/** The day `count` days after `day` (negative: before). */
export function addDays(day: string, count: number): string {
  return new Date(utcMidnight(day) + count * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The instant (Unix ms) `day` starts in `timeZone`. The zone's offset is read at a first guess
 * and read again at the result, which settles days whose offset changes (DST) near midnight.
 */
export function startOfZonedDay(day: string, timeZone: string): number {
  const guess = utcMidnight(day);
  const first = guess - offsetMs(guess, timeZone);
  const second = guess - offsetMs(first, timeZone);
  return second;
}

function utcMidnight(day: string): number {
  const match = DAY.exec(day);
  if (!match) throw new RangeError(`not a day: ${day}`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** How far the zone's wall clock is ahead of UTC at an instant (whole seconds). */
function offsetMs(instantMs: number, timeZone: string): number {
  const seconds = Math.floor(instantMs / 1000);
  const local = localDateTime(seconds, timeZone);
  const asUtc = Date.UTC(
    Number(local.year),
    Number(local.month) - 1,
    Number(local.day),
    Number(local.hour),
    Number(local.minute),
    Number(local.second),
  );
  return asUtc - seconds * 1000;
}
