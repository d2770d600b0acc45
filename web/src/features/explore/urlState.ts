// The view's state in the URL's query string, so a reload or a shared link shows the same view
// and back/forward walk through it:
//
//   f=region:eq:East            a filter chip (repeated): column:op[:value,value…]
//   d=channel:eq:Online         a drill-down step (repeated, in order), same form
//   from=2024-01-01 to=…        the date range on the primary time column
//   x.by=region x.by=channel    Explore: group by (up to two)
//   x.time=order_date:month     Explore: time bucket
//   x.m=sum:revenue x.m=count   Explore: measures (agg[:column]); present once Explore was set
//   x.sort=-sum_revenue         Explore: order (a leading "-" for descending)
//   x.n=100                     Explore: rows per page
//   t.* g.* b.*                 the overview panels' choices (see usePanelParam)
//
// In a part, "%", ":" and "," are written %25, %3A and %2C; URLSearchParams encodes the rest.

import {
  INTERVALS,
  QUERY_AGGREGATIONS,
  QUERY_OPS,
  type Interval,
  type QueryAggregation,
  type QueryOp,
} from '../../api/types';
import { arity, type DateRange, type Filter, type FilterState } from './filters';

function encodePart(text: string): string {
  return text.replace(/[%:,]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodePart(text: string): string {
  return text.replace(/%(25|3A|2C)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function isOp(op: string): op is QueryOp {
  return (QUERY_OPS as readonly string[]).includes(op);
}

function isAggregation(agg: string): agg is QueryAggregation {
  return (QUERY_AGGREGATIONS as readonly string[]).includes(agg);
}

function isInterval(interval: string): interval is Interval {
  return (INTERVALS as readonly string[]).includes(interval);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "region:eq:East". */
export function encodeFilter(filter: Filter): string {
  const head = `${encodePart(filter.column)}:${filter.op}`;
  return arity(filter.op) === 'none' ? head : `${head}:${filter.values.map(encodePart).join(',')}`;
}

/** A filter from its URL form; null when it is not one (unknown operator, values missing). */
export function decodeFilter(text: string): Filter | null {
  const [rawColumn, op, rawValues, ...rest] = text.split(':');
  if (rawColumn === undefined || rawColumn === '' || op === undefined || !isOp(op)) return null;
  if (rest.length > 0) return null;
  const column = decodePart(rawColumn);
  const values = rawValues === undefined ? [] : rawValues.split(',').map(decodePart);
  switch (arity(op)) {
    case 'none':
      return { column, op, values: [] };
    case 'one':
      return values.length === 1 ? { column, op, values } : null;
    case 'two':
      return values.length === 2 ? { column, op, values } : null;
    case 'many':
      return rawValues !== undefined && values.length > 0 ? { column, op, values } : null;
  }
}

function decodeAll(list: string[]): Filter[] {
  return list.map(decodeFilter).filter((f): f is Filter => f !== null);
}

/** The filters, drill-down path and date range of a query string. */
export function readFilterState(params: URLSearchParams): FilterState {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const range: DateRange = {};
  if (DAY.test(from)) range.from = from;
  if (DAY.test(to)) range.to = to;
  return { filters: decodeAll(params.getAll('f')), drill: decodeAll(params.getAll('d')), range };
}

/** A copy of `params` with the filter state replaced (every other key kept). */
export function writeFilterState(params: URLSearchParams, state: FilterState): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of ['f', 'd', 'from', 'to']) next.delete(key);
  for (const f of state.filters) next.append('f', encodeFilter(f));
  for (const f of state.drill) next.append('d', encodeFilter(f));
  if (state.range.from) next.set('from', state.range.from);
  if (state.range.to) next.set('to', state.range.to);
  return next;
}

// ---------------------------------------------------------------------------------------------
// Explore

export type ExploreMeasure = { agg: QueryAggregation; column?: string | undefined };

export type ExploreSettings = {
  /** Zero to two columns. */
  groupBy: string[];
  time: { column: string; interval: Interval } | null;
  /** At least one. */
  measures: ExploreMeasure[];
  /** Null: the API's default order. */
  sort: { by: string; desc: boolean } | null;
  limit: number;
};

export const EXPLORE_LIMITS = [10, 100, 1000, 10000] as const;
export const MAX_EXPLORE_MEASURES = 5;

function encodeMeasure(m: ExploreMeasure): string {
  return m.column ? `${m.agg}:${encodePart(m.column)}` : m.agg;
}

function decodeMeasure(text: string): ExploreMeasure | null {
  const [agg, column, ...rest] = text.split(':');
  if (agg === undefined || !isAggregation(agg) || rest.length > 0) return null;
  if (column === undefined || column === '') return agg === 'count' ? { agg } : null;
  return { agg, column: decodePart(column) };
}

/** Explore's settings of a query string, or null when the URL has none (use the defaults). */
export function readExplore(params: URLSearchParams): ExploreSettings | null {
  const measures = params
    .getAll('x.m')
    .map(decodeMeasure)
    .filter((m): m is ExploreMeasure => m !== null)
    .slice(0, MAX_EXPLORE_MEASURES);
  if (measures.length === 0) return null;
  const groupBy = params
    .getAll('x.by')
    .filter((c) => c !== '')
    .slice(0, 2);
  let time: ExploreSettings['time'] = null;
  const rawTime = params.get('x.time');
  if (rawTime) {
    const [column, interval] = rawTime.split(':');
    if (column && interval && isInterval(interval)) time = { column: decodePart(column), interval };
  }
  const rawSort = params.get('x.sort') ?? '';
  const sort = rawSort
    ? rawSort.startsWith('-')
      ? { by: rawSort.slice(1), desc: true }
      : { by: rawSort, desc: false }
    : null;
  const n = Number(params.get('x.n'));
  const limit = Number.isInteger(n) && n >= 1 && n <= 10000 ? n : 100;
  return { groupBy, time, measures, sort: sort?.by ? sort : null, limit };
}

/** A copy of `params` with Explore's settings replaced. */
export function writeExplore(params: URLSearchParams, settings: ExploreSettings): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of ['x.by', 'x.time', 'x.m', 'x.sort', 'x.n']) next.delete(key);
  for (const c of settings.groupBy.slice(0, 2)) next.append('x.by', c);
  if (settings.time)
    next.set('x.time', `${encodePart(settings.time.column)}:${settings.time.interval}`);
  for (const m of settings.measures) next.append('x.m', encodeMeasure(m));
  if (settings.sort) next.set('x.sort', `${settings.sort.desc ? '-' : ''}${settings.sort.by}`);
  next.set('x.n', String(settings.limit));
  return next;
}
