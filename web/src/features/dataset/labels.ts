import type {
  Aggregation,
  DataErrorKind,
  DateOrderSource,
  Interval,
  QueryAggregation,
  TextEncoding,
} from '../../api/types';

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

const QUERY_AGG_LABELS: Record<QueryAggregation, string> = {
  sum: 'Sum',
  count: 'Count',
  avg: 'Average',
  min: 'Minimum',
  max: 'Maximum',
  count_distinct: 'Distinct values',
  p50: 'Median (p50)',
  p95: '95th percentile',
};

/** An aggregation of POST /query for people ("Distinct values", "Median (p50)"). */
export function queryAggregationLabel(agg: QueryAggregation): string {
  return QUERY_AGG_LABELS[agg];
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

/** "DMY" → "DD/MM", the way people write the order. */
export function dateOrderLabel(order: 'DMY' | 'MDY' | 'dmy' | 'mdy'): string {
  return order.toUpperCase() === 'DMY' ? 'DD/MM' : 'MM/DD';
}

const ORDER_SOURCE_LABELS: Record<DateOrderSource, string> = {
  data: 'from the data',
  separator: 'from separator',
  hint: 'set',
  assumed: 'assumed',
};

/** Where a day/month order came from: "from the data", "from separator", "set", "assumed". */
export function dateOrderSourceLabel(source: DateOrderSource): string {
  return ORDER_SOURCE_LABELS[source];
}

const ENCODING_LABELS: Record<TextEncoding, string> = {
  'utf-8': 'UTF-8',
  'windows-1252': 'Windows-1252',
  'utf-16le': 'UTF-16 (little-endian)',
  'utf-16be': 'UTF-16 (big-endian)',
};

export function encodingLabel(encoding: TextEncoding): string {
  return ENCODING_LABELS[encoding];
}

const KIND_LABELS: Record<DataErrorKind, string> = {
  rejected: 'rejected row',
  invalid: 'invalid value',
  note: 'note',
};

/** An issue's kind for people: "rejected row", "invalid value", "note". */
export function issueKindLabel(kind: DataErrorKind): string {
  return KIND_LABELS[kind];
}
