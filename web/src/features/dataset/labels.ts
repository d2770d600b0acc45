import type { Aggregation, Interval } from '../../api/types';

const AGG_LABELS: Record<Aggregation, string> = {
  sum: 'Sum',
  count: 'Count of rows',
  avg: 'Average',
  min: 'Minimum',
  max: 'Maximum',
};

export function aggregationLabel(agg: Aggregation): string {
  return AGG_LABELS[agg];
}

/** "Sum of revenue", "Count of rows". */
export function measureLabel(agg: Aggregation, measure: string | undefined): string {
  if (agg === 'count' || !measure) return 'Count of rows';
  return `${AGG_LABELS[agg]} of ${measure}`;
}

const INTERVAL_LABELS: Record<Interval, string> = {
  day: 'Daily',
  week: 'Weekly',
  month: 'Monthly',
  quarter: 'Quarterly',
  year: 'Yearly',
};

export function intervalLabel(interval: Interval): string {
  return INTERVAL_LABELS[interval];
}
