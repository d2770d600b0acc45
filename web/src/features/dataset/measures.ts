// Which measure and aggregation a chart panel starts with, and the problem a measure that
// mixes currencies answers (/timeseries, /groups and /breakdown refuse its sums).

import { isApiError } from '../../api/errors';
import type { Schema, SchemaColumn } from '../../api/types';

export function measureColumns(schema: Schema): SchemaColumn[] {
  return schema.columns.filter((c) => c.role === 'measure');
}

/** The main measure, unless its sums are withheld; then the first measure whose sums are given. */
export function defaultMeasure(schema: Schema): string {
  const measures = measureColumns(schema);
  const main = measures.find((c) => c.name === schema.main_measure);
  if (main && !main.sum_withheld) return main.name;
  return (measures.find((c) => !c.sum_withheld) ?? main ?? measures[0])?.name ?? '';
}

/** A sum when some measure has sums to give, otherwise a count of rows. */
export function defaultAggregation(schema: Schema): 'sum' | 'count' {
  return measureColumns(schema).some((c) => !c.sum_withheld) ? 'sum' : 'count';
}

/** The 400 problem for a sum, average, minimum or maximum of amounts in several currencies. */
export function isMixedCurrencies(error: unknown): boolean {
  return isApiError(error) && error.code === 'mixed-currencies';
}
