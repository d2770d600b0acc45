// Period labels as the API writes them ("2024-03-05", "2024-W09", "2024-03", "2024-Q1", "2024"),
// and the arithmetic the filtered trend and breakdown need to fill empty periods between the
// first and the last exactly as /timeseries and /breakdown do.

import type { Interval } from '../../api/types';

const DAY_MS = 86_400_000;

function daysFromCivil(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month - 1, day) / DAY_MS);
}

function civil(days: number): { year: number; month: number; day: number } {
  const date = new Date(days * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The Monday of the ISO week of a day (1970-01-01 was a Thursday). */
function mondayOf(days: number): number {
  return days - (((days % 7) + 7 + 3) % 7);
}

function isoDay(days: number): string {
  const { year, month, day } = civil(days);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/**
 * A period label as an ordinal: days since 1970 (day; the Monday for a week), months, quarters or
 * years since year 0. Null when the label is not one of `interval`.
 */
export function periodIndex(label: string, interval: Interval): number | null {
  let m: RegExpExecArray | null;
  switch (interval) {
    case 'day':
      m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
      return m ? daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) : null;
    case 'week': {
      m = /^(\d{4})-W(\d{2})$/.exec(label);
      if (!m) return null;
      // ISO 8601: week 1 holds 4 January.
      const week1 = mondayOf(daysFromCivil(Number(m[1]), 1, 4));
      return week1 + (Number(m[2]) - 1) * 7;
    }
    case 'month':
      m = /^(\d{4})-(\d{2})$/.exec(label);
      return m ? Number(m[1]) * 12 + Number(m[2]) - 1 : null;
    case 'quarter':
      m = /^(\d{4})-Q([1-4])$/.exec(label);
      return m ? Number(m[1]) * 4 + Number(m[2]) - 1 : null;
    case 'year':
      m = /^(\d{4})$/.exec(label);
      return m ? Number(m[1]) : null;
  }
}

/** The label of an ordinal of periodIndex. */
export function periodLabel(index: number, interval: Interval): string {
  switch (interval) {
    case 'day':
      return isoDay(index);
    case 'week': {
      // The week belongs to the year of its Thursday.
      const thursday = index + 3;
      const year = civil(thursday).year;
      const week = Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
      return `${pad(year, 4)}-W${pad(week)}`;
    }
    case 'month':
      return `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1)}`;
    case 'quarter':
      return `${pad(Math.floor(index / 4), 4)}-Q${(index % 4) + 1}`;
    case 'year':
      return pad(index, 4);
  }
}

/** The ordinal of the period after. */
export function nextPeriod(index: number, interval: Interval): number {
  return interval === 'week' ? index + 7 : index + 1;
}

/** The period a year before (52 weeks for a week), or null (29 February). */
export function yearEarlier(index: number, interval: Interval): number | null {
  switch (interval) {
    case 'day': {
      const { year, month, day } = civil(index);
      const before = daysFromCivil(year - 1, month, day);
      return civil(before).day === day ? before : null;
    }
    case 'week':
      return index - 7 * 52;
    case 'month':
      return index - 12;
    case 'quarter':
      return index - 4;
    case 'year':
      return index - 1;
  }
}

/** The first day of a period ("YYYY-MM-DD"). */
export function periodStart(index: number, interval: Interval): string {
  switch (interval) {
    case 'day':
    case 'week':
      return isoDay(index);
    case 'month':
      return `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1)}-01`;
    case 'quarter':
      return `${pad(Math.floor(index / 4), 4)}-${pad((index % 4) * 3 + 1)}-01`;
    case 'year':
      return `${pad(index, 4)}-01-01`;
  }
}

/** The period a day ("YYYY-MM-DD") falls in, or null for anything else. */
export function periodOfDay(day: string, interval: Interval): number | null {
  const days = periodIndex(day, 'day');
  if (days === null) return null;
  const { year, month } = civil(days);
  switch (interval) {
    case 'day':
      return days;
    case 'week':
      return mondayOf(days);
    case 'month':
      return year * 12 + month - 1;
    case 'quarter':
      return year * 4 + Math.floor((month - 1) / 3);
    case 'year':
      return year;
  }
}

/** The day after a day ("YYYY-MM-DD"), or null. */
export function nextDay(day: string): string | null {
  const days = periodIndex(day, 'day');
  return days === null ? null : isoDay(days + 1);
}
