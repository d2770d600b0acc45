import { describe, expect, it } from 'vitest';
import {
  nextDay,
  nextPeriod,
  periodIndex,
  periodLabel,
  periodOfDay,
  periodStart,
  yearEarlier,
} from './periods';

describe('period labels', () => {
  it('round-trip every interval', () => {
    const labels = {
      day: ['2024-02-29', '1999-12-31'],
      week: ['2024-W09', '2020-W53', '2021-W01', '2025-W01'],
      month: ['2024-03', '2024-12'],
      quarter: ['2024-Q1', '2023-Q4'],
      year: ['2024', '0999'],
    } as const;
    for (const [interval, list] of Object.entries(labels)) {
      for (const label of list) {
        const i = periodIndex(label, interval as keyof typeof labels);
        expect(i, label).not.toBeNull();
        expect(periodLabel(i ?? 0, interval as keyof typeof labels)).toBe(label);
      }
    }
  });

  it('puts a week in the ISO year of its Thursday', () => {
    expect(periodLabel(periodOfDay('2024-12-30', 'week') ?? 0, 'week')).toBe('2025-W01');
    expect(periodLabel(periodOfDay('2021-01-03', 'week') ?? 0, 'week')).toBe('2020-W53');
    expect(periodLabel(periodOfDay('2024-02-29', 'week') ?? 0, 'week')).toBe('2024-W09');
    expect(periodStart(periodIndex('2024-W09', 'week') ?? 0, 'week')).toBe('2024-02-26');
  });

  it('steps to the next period across year ends', () => {
    const next = (label: string, interval: 'day' | 'week' | 'month' | 'quarter' | 'year') =>
      periodLabel(nextPeriod(periodIndex(label, interval) ?? 0, interval), interval);
    expect(next('2023-12-31', 'day')).toBe('2024-01-01');
    expect(next('2020-W53', 'week')).toBe('2021-W01');
    expect(next('2023-12', 'month')).toBe('2024-01');
    expect(next('2023-Q4', 'quarter')).toBe('2024-Q1');
    expect(next('2023', 'year')).toBe('2024');
  });

  it('knows the period a year before, and that 29 February has none', () => {
    const earlier = (label: string, interval: 'day' | 'week' | 'month' | 'quarter' | 'year') => {
      const before = yearEarlier(periodIndex(label, interval) ?? 0, interval);
      return before === null ? null : periodLabel(before, interval);
    };
    expect(earlier('2024-03-05', 'day')).toBe('2023-03-05');
    expect(earlier('2024-02-29', 'day')).toBeNull();
    expect(earlier('2024-W09', 'week')).toBe('2023-W09');
    expect(earlier('2024-01', 'month')).toBe('2023-01');
    expect(earlier('2024-Q1', 'quarter')).toBe('2023-Q1');
    expect(earlier('2024', 'year')).toBe('2023');
  });

  it('reads a day into its month, quarter and year, and refuses other text', () => {
    expect(periodLabel(periodOfDay('2024-08-15', 'quarter') ?? 0, 'quarter')).toBe('2024-Q3');
    expect(periodStart(periodOfDay('2024-08-15', 'quarter') ?? 0, 'quarter')).toBe('2024-07-01');
    expect(periodLabel(periodOfDay('2024-08-15', 'month') ?? 0, 'month')).toBe('2024-08');
    expect(periodOfDay('15/08/2024', 'month')).toBeNull();
    expect(periodIndex('2024-3', 'month')).toBeNull();
    expect(periodIndex('2024-Q5', 'quarter')).toBeNull();
    expect(nextDay('2024-02-28')).toBe('2024-02-29');
    expect(nextDay('2023-12-31')).toBe('2024-01-01');
  });
});
