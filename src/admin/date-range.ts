import { isCalendarDay, startOfZonedDay } from './zoned-days.ts';

/**
 * The `from`/`to` filters of the admin API. A day (`2026-03-25`) is a whole day in the report
 * time zone, `to` included; a date-time must carry its offset (`2026-03-25T14:30:00Z`,
 * `…+01:00`) and is an exact instant, `to` included. Pure.
 */

/** What the query string accepts; the calendar is checked by `parseDateRange`. */
export const DATE_BOUND_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,3})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$';

/** Unix ms; `fromMs` included, `toMs` excluded. Undefined: no bound. */
export interface DateRange {
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
}

export type DateRangeResult = { readonly range: DateRange } | { readonly problem: string };

export function parseDateRange(
  from: string | undefined,
  to: string | undefined,
  timeZone: string,
): DateRangeResult {
  const fromMs = from === undefined ? undefined : boundStart(from, timeZone);
  const toMs = to === undefined ? undefined : boundEnd(to, timeZone);
  if (Number.isNaN(fromMs)) return { problem: `from is not a real date: ${from ?? ''}` };
  if (Number.isNaN(toMs)) return { problem: `to is not a real date: ${to ?? ''}` };
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    return { problem: 'from must come before to' };
  }
  return { range: { fromMs, toMs } };
}

const isDay = (value: string) => value.length === 10;

function boundStart(value: string, timeZone: string): number {
  if (isDay(value)) return isCalendarDay(value) ? startOfZonedDay(value, timeZone) : NaN;
  return instant(value);
}

function boundEnd(value: string, timeZone: string): number {
  // A day `to` is included: the range ends when the next day starts.
  if (isDay(value)) return isCalendarDay(value) ? startOfZonedDay(value, timeZone, 1) : NaN;
  // An instant `to` is included: the range ends just after it.
  return instant(value) + 1;
}

/** Date.parse accepts 2026-02-30T…; the calendar part is checked on its own. */
function instant(value: string): number {
  return isCalendarDay(value.slice(0, 10)) ? Date.parse(value) : NaN;
}
