// The questions the dataset view asks POST /query while filters are active, and the answers
// turned into the shapes of /timeseries, /groups and /breakdown, so the panels draw them the same
// way. The values agree with those endpoints: the API computes every group's and period's value;
// what is filled in here is only what they add (empty periods, growth, "Other" as the rest of the
// total, in exact decimal units).

import type {
  Aggregation,
  Breakdown,
  QueryAggregation,
  SchemaColumn,
  BreakdownAggregation,
  BreakdownInterval,
  Groups,
  Interval,
  QueryCell,
  QueryFilter,
  QueryMeasure,
  QueryRequest,
  QueryResult,
  Schema,
  TimeSeries,
  TimeSeriesPoint,
} from '../../api/types';
import { defaultAggregation, defaultMeasure } from '../dataset/measures';
import type { DateRange } from './filters';
import {
  nextPeriod,
  periodIndex,
  periodLabel,
  periodOfDay,
  periodStart,
  yearEarlier,
} from './periods';
import type { ExploreSettings } from './urlState';

/** The most a single answer holds (the API's largest limit). */
export const MAX_ROWS = 10_000;

/** The name the API gives a measure: `as`, else "<agg>_<column>", else "count". */
export function measureName(m: QueryMeasure): string {
  return m.as ?? (m.column ? `${m.agg}_${m.column}` : 'count');
}

/** Names for the panels' measures that no column of the dataset has. */
export type MeasureNames = { value: string; count: string; sum: string };

export function measureNames(schema: Schema): MeasureNames {
  const taken = new Set(schema.columns.map((c) => c.name));
  taken.add('period');
  const free = (base: string) => {
    let name = base;
    while (taken.has(name)) name = `${name}_`;
    taken.add(name);
    return name;
  };
  return { value: free('value'), count: free('rows'), sum: free('sum') };
}

/**
 * The digits a measure's exact sums keep (its decimal scale), or null for floats, whose sums are
 * not exact anyway.
 */
export function scaleOf(schema: Schema, measure: string | undefined): number | null {
  if (!measure) return 0;
  const column = schema.columns.find((c) => c.name === measure);
  if (!column) return null;
  if (column.type === 'integer') return 0;
  if (column.type === 'decimal') return column.scale ?? 9;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Exact arithmetic on decimals with a known scale (the API's sums of one measure).

function toUnits(x: number, scale: number): bigint | null {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e20) return null;
  return BigInt(x.toFixed(scale).replace('.', ''));
}

function fromUnits(units: bigint, scale: number): number {
  if (scale === 0) return Number(units);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return Number(negative ? `-${text}` : text);
}

/** a + b + … (null when any is null), exactly when the scale is known. */
export function exactSum(values: (number | null)[], scale: number | null): number | null {
  if (values.some((v) => v === null)) return null;
  const numbers = values as number[];
  if (scale !== null) {
    let total = 0n;
    for (const v of numbers) {
      const units = toUnits(v, scale);
      if (units === null) return numbers.reduce((a, b) => a + b, 0);
      total += units;
    }
    return fromUnits(total, scale);
  }
  return numbers.reduce((a, b) => a + b, 0);
}

/** total − (a + b + …), exactly when the scale is known. */
export function exactDifference(
  total: number | null,
  parts: (number | null)[],
  scale: number | null,
): number | null {
  const subtracted = exactSum(parts, scale);
  if (total === null || subtracted === null) return null;
  return exactSum([total, -subtracted], scale);
}

// ---------------------------------------------------------------------------------------------
// Cells

/** A numeric cell (numbers, or numeric text), else null. */
export function numeric(cell: QueryCell | undefined): number | null {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'string' && cell.trim() !== '' && Number.isFinite(Number(cell)))
    return Number(cell);
  return null;
}

/** A group's key as /groups writes it: text, or null for the rows without a value. */
export function groupKey(cell: QueryCell | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  return String(cell);
}

/** The relative change, as /timeseries computes growth and YoY. */
function change(now: number | null, before: number | null | undefined): number | null {
  if (now === null || before === null || before === undefined || before === 0) return null;
  return (now - before) / Math.abs(before);
}

/** What a period or group without rows is worth: nothing to add is 0; nothing to average is unknown. */
function emptyValue(agg: Aggregation): number | null {
  return agg === 'sum' || agg === 'count' ? 0 : null;
}

// ---------------------------------------------------------------------------------------------
// The panels' measures

export type PanelMeasure = {
  /** The measure column; none for a count of rows. */
  measure?: string | undefined;
  agg: Aggregation;
};

/**
 * The value (the panel's aggregation), how many values it covers (rows for a count of rows) and,
 * for averages, the sum, so what is left of a total can be averaged too.
 */
function panelMeasures(m: PanelMeasure, names: MeasureNames): QueryMeasure[] {
  const column = m.agg === 'count' ? undefined : m.measure;
  if (!column) return [{ agg: 'count', as: names.value }];
  const list: QueryMeasure[] = [
    { agg: m.agg, column, as: names.value },
    { agg: 'count', column, as: names.count },
  ];
  if (m.agg === 'avg') list.push({ agg: 'sum', column, as: names.sum });
  return list;
}

type Cells = { value: number | null; count: number; sum: number | null };

function cellsOf(row: Record<string, QueryCell>, m: PanelMeasure, names: MeasureNames): Cells {
  const value = numeric(row[names.value]);
  const rowsOnly = m.agg === 'count' || !m.measure;
  return {
    value,
    count: (rowsOnly ? value : numeric(row[names.count])) ?? 0,
    sum: numeric(row[names.sum]),
  };
}

/** What is left of a total once some parts are taken out, for the additive aggregations and averages. */
function remainder(
  total: Cells,
  parts: Cells[],
  agg: Aggregation,
  scale: number | null,
): { value: number | null; count: number } {
  const count = total.count - parts.reduce((a, p) => a + p.count, 0);
  switch (agg) {
    case 'count':
      return { value: count, count };
    case 'sum':
      return {
        value: exactDifference(
          total.value,
          parts.map((p) => p.value),
          scale,
        ),
        count,
      };
    case 'avg': {
      const sum = exactDifference(
        total.sum,
        parts.map((p) => p.sum),
        scale,
      );
      return { value: sum === null || count <= 0 ? null : sum / count, count };
    }
    default:
      return { value: null, count };
  }
}

function withFilters(filters: QueryFilter[], body: QueryRequest): QueryRequest {
  return filters.length > 0 ? { filters, ...body } : body;
}

// ---------------------------------------------------------------------------------------------
// Trend (/timeseries)

export type TrendSpec = PanelMeasure & {
  filters: QueryFilter[];
  time: string;
  interval: Interval;
  compare: boolean;
  /** The date range of the filters when it is on this time column: the periods span it. */
  range?: DateRange | undefined;
};

export function trendQuery(spec: TrendSpec, names: MeasureNames): QueryRequest {
  return withFilters(spec.filters, {
    time: { column: spec.time, interval: spec.interval },
    measures: panelMeasures(spec, names),
    limit: MAX_ROWS,
  });
}

const MAX_POINTS = 20_000;

/** The answer of trendQuery as /timeseries: every period from the first to the last, growth, YoY. */
export function toTimeSeries(
  result: QueryResult,
  spec: TrendSpec,
  names: MeasureNames,
  scale: number | null,
): TimeSeries {
  const { interval, agg } = spec;
  const byPeriod = new Map<number, Cells>();
  for (const row of result.rows) {
    const label = row.period;
    if (typeof label !== 'string') continue; // rows without a date are in no period
    const index = periodIndex(label, interval);
    if (index !== null) byPeriod.set(index, cellsOf(row, spec, names));
  }
  const series: TimeSeries = {
    time: spec.time,
    measure: spec.agg === 'count' ? null : (spec.measure ?? null),
    agg,
    interval,
    points: [],
    total: null,
    cagr: null,
    provenance: result.provenance,
  };
  const keys = [...byPeriod.keys()];
  const from = spec.range?.from ? periodOfDay(spec.range.from, interval) : null;
  const to = spec.range?.to ? periodOfDay(spec.range.to, interval) : null;
  if (keys.length === 0 && (from === null || to === null)) {
    series.total = emptyValue(agg);
    return series;
  }
  const first = from ?? Math.min(...keys);
  const last = to ?? Math.max(...keys);
  const empty = emptyValue(agg);
  let previous: TimeSeriesPoint | undefined;
  for (let p = first; p <= last && series.points.length < MAX_POINTS; p = nextPeriod(p, interval)) {
    const cells = byPeriod.get(p);
    const value = cells ? cells.value : empty;
    const point: TimeSeriesPoint = {
      period: periodLabel(p, interval),
      start: periodStart(p, interval),
      value,
      count: cells?.count ?? 0,
      growth: previous ? change(value, previous.value) : null,
    };
    if (spec.compare) {
      const before = yearEarlier(p, interval);
      if (before !== null) {
        const earlier = byPeriod.get(before);
        // A period before the data is unknown, not zero.
        const prior = earlier ? earlier.value : before >= first ? empty : null;
        point.previous = prior;
        point.yoy = change(value, prior);
      }
    }
    series.points.push(point);
    previous = point;
  }
  const all = [...byPeriod.values()];
  series.overflow = agg === 'sum' && all.some((c) => c.count > 0 && c.value === null);
  switch (agg) {
    case 'sum':
      series.total = exactSum(
        all.map((c) => c.value),
        scale,
      );
      break;
    case 'count':
      series.total = all.reduce((a, c) => a + (c.value ?? 0), 0);
      break;
    case 'avg': {
      const sum = exactSum(
        all.map((c) => c.sum),
        scale,
      );
      const count = all.reduce((a, c) => a + c.count, 0);
      series.total = sum === null || count === 0 ? null : sum / count;
      break;
    }
    case 'min':
    case 'max': {
      const values = all.map((c) => c.value).filter((v): v is number => v !== null);
      series.total =
        values.length === 0 ? null : agg === 'min' ? Math.min(...values) : Math.max(...values);
      break;
    }
  }
  return series;
}

// ---------------------------------------------------------------------------------------------
// Groups (/groups)

export type GroupsSpec = PanelMeasure & {
  filters: QueryFilter[];
  dimension: string;
  limit: number;
};

/** The top groups, ranked as /groups ranks them (the API's default order). */
export function groupsQuery(spec: GroupsSpec, names: MeasureNames): QueryRequest {
  return withFilters(spec.filters, {
    group_by: [spec.dimension],
    measures: panelMeasures(spec, names),
    limit: spec.limit,
  });
}

/** The same measures over every filtered row: the total, and "Other" as its rest. */
export function totalsQuery(spec: PanelMeasure & { filters: QueryFilter[] }, names: MeasureNames) {
  return withFilters(spec.filters, { measures: panelMeasures(spec, names) });
}

export function toGroups(
  groups: QueryResult,
  totals: QueryResult,
  spec: GroupsSpec,
  names: MeasureNames,
  scale: number | null,
): Groups {
  const rows = groups.rows.map((row) => ({
    key: groupKey(row[spec.dimension]),
    cells: cellsOf(row, spec, names),
  }));
  const totalRow = totals.rows[0];
  const total: Cells = totalRow
    ? cellsOf(totalRow, spec, names)
    : { value: emptyValue(spec.agg), count: 0, sum: null };
  const additive = spec.agg === 'sum' || spec.agg === 'count';
  const share = (value: number | null) =>
    additive && value !== null && total.value !== null && total.value !== 0
      ? value / total.value
      : null;
  const other = remainder(
    total,
    rows.map((r) => r.cells),
    spec.agg,
    scale,
  );
  return {
    dimension: spec.dimension,
    measure: spec.agg === 'count' ? null : (spec.measure ?? null),
    agg: spec.agg,
    groups: rows.map((r) => ({
      key: r.key,
      value: r.cells.value,
      count: r.cells.count,
      share: share(r.cells.value),
    })),
    other: { value: other.value, count: Math.max(other.count, 0), share: share(other.value) },
    total: total.value,
    group_count: groups.total_groups,
    capped: false,
    provenance: groups.provenance,
  };
}

// ---------------------------------------------------------------------------------------------
// Breakdown (/breakdown)

export type BreakdownSpec = {
  filters: QueryFilter[];
  dimension: string;
  time: string;
  measure?: string | undefined;
  agg: BreakdownAggregation;
  interval: BreakdownInterval;
  limit: number;
};

/** Step 1: the top groups of the dimension under the filters, ranked as /groups ranks them. */
export function breakdownTopQuery(spec: BreakdownSpec, names: MeasureNames): QueryRequest {
  const [value] = panelMeasures(spec, names);
  return withFilters(spec.filters, {
    group_by: [spec.dimension],
    measures: value ? [value] : [],
    limit: spec.limit,
  });
}

export type BreakdownPlan = {
  /** The top groups' keys in rank order, as cells (to filter on them exactly). */
  keys: QueryCell[];
  /** The questions for the series (one per kind of key), and the totals per period for "Other". */
  series: QueryRequest[];
  totals: QueryRequest | null;
};

/**
 * Step 2: the top groups per period. When there are more groups than shown, only those (the
 * filters plus "dimension in top N"; the empty group, which `in` cannot name, on its own), and
 * the totals per period, whose rest is "Other".
 */
export function breakdownPlan(
  spec: BreakdownSpec,
  names: MeasureNames,
  top: QueryResult,
): BreakdownPlan {
  const keys = top.rows.map((row) => row[spec.dimension] ?? null);
  const time = { column: spec.time, interval: spec.interval };
  const measures = panelMeasures(spec, names);
  const base = { group_by: [spec.dimension], time, measures, limit: MAX_ROWS };
  if (top.total_groups <= top.rows.length)
    return { keys, series: [withFilters(spec.filters, base)], totals: null };
  const named = keys.filter((k): k is string | number | boolean => k !== null);
  const series: QueryRequest[] = [];
  if (named.length > 0)
    series.push({
      ...base,
      filters: [...spec.filters, { column: spec.dimension, op: 'in', values: named }],
    });
  if (named.length < keys.length)
    series.push({ ...base, filters: [...spec.filters, { column: spec.dimension, op: 'is_null' }] });
  const totals = withFilters(spec.filters, { time, measures, limit: MAX_ROWS });
  return { keys, series, totals };
}

export function toBreakdown(
  plan: BreakdownPlan,
  seriesResults: QueryResult[],
  totals: QueryResult | null,
  spec: BreakdownSpec,
  names: MeasureNames,
  scale: number | null,
): Breakdown {
  const { interval, agg } = spec;
  const cells = new Map<string, Map<number, Cells>>();
  const keyId = (key: string | null) => (key === null ? '\u0000null' : `k${key}`);
  const periods = new Set<number>();
  for (const result of seriesResults) {
    for (const row of result.rows) {
      if (typeof row.period !== 'string') continue;
      const p = periodIndex(row.period, interval);
      if (p === null) continue;
      periods.add(p);
      const id = keyId(groupKey(row[spec.dimension]));
      let byPeriod = cells.get(id);
      if (!byPeriod) {
        byPeriod = new Map<number, Cells>();
        cells.set(id, byPeriod);
      }
      byPeriod.set(p, cellsOf(row, spec, names));
    }
  }
  const totalByPeriod = new Map<number, Cells>();
  for (const row of totals?.rows ?? []) {
    if (typeof row.period !== 'string') continue;
    const p = periodIndex(row.period, interval);
    if (p === null) continue;
    periods.add(p);
    totalByPeriod.set(p, cellsOf(row, spec, names));
  }
  const provenance = seriesResults[0]?.provenance ??
    totals?.provenance ?? { dataset_id: '', version: 0, rows: 0, computed_at: '' };
  const breakdown: Breakdown = {
    dimension: spec.dimension,
    time: spec.time,
    measure: agg === 'count' ? null : (spec.measure ?? null),
    agg,
    interval,
    periods: [],
    series: [],
    other: null,
    partial: false,
    provenance,
  };
  if (periods.size === 0) return breakdown;
  const first = Math.min(...periods);
  const last = Math.max(...periods);
  const order: number[] = [];
  for (let p = first; p <= last; p = nextPeriod(p, interval)) order.push(p);
  breakdown.periods = order.map((p) => periodLabel(p, interval));
  const empty: Cells = { value: emptyValue(agg), count: 0, sum: 0 };
  breakdown.series = plan.keys.map((cell) => {
    const key = groupKey(cell);
    const byPeriod = cells.get(keyId(key));
    return { key, values: order.map((p) => byPeriod?.get(p)?.value ?? empty.value) };
  });
  if (totals) {
    const values = order.map((p) => {
      const parts = plan.keys.map((cell) => cells.get(keyId(groupKey(cell)))?.get(p) ?? empty);
      return remainder(totalByPeriod.get(p) ?? empty, parts, agg, scale).value;
    });
    breakdown.other = { values };
  }
  return breakdown;
}

// ---------------------------------------------------------------------------------------------
// Explore

/** Explore before any choice: the first dimension, the main measure's sum (or a count of rows). */
export function defaultExplore(schema: Schema): ExploreSettings {
  const dimension = schema.columns.find((c) => c.role === 'dimension');
  const measure = defaultMeasure(schema);
  return {
    groupBy: dimension ? [dimension.name] : [],
    time: null,
    measures: [
      defaultAggregation(schema) === 'sum' && measure
        ? { agg: 'sum', column: measure }
        : { agg: 'count' },
    ],
    sort: null,
    limit: 100,
  };
}

const NUMERIC_TYPES = new Set(['integer', 'decimal', 'float']);

/** The columns an aggregation applies to (count without a column counts rows). */
export function columnsForAggregation(schema: Schema, agg: QueryAggregation): SchemaColumn[] {
  switch (agg) {
    case 'sum':
    case 'avg':
    case 'p50':
    case 'p95':
      return schema.columns.filter((c) => NUMERIC_TYPES.has(c.type));
    case 'min':
    case 'max':
      return schema.columns.filter((c) => c.type !== 'boolean');
    case 'count':
    case 'count_distinct':
      return schema.columns;
  }
}

/** Whether an aggregation may go without a column (only a count of rows). */
export function needsColumn(agg: QueryAggregation): boolean {
  return agg !== 'count';
}

/** Explore's measure names, as the API names them (for sorting by one). */
export function exploreMeasureNames(settings: ExploreSettings): string[] {
  return settings.measures.map((m) => measureName(m.column ? { agg: m.agg, column: m.column } : m));
}

/** Explore's question: its settings and the view's filters. */
export function exploreQuery(settings: ExploreSettings, filters: QueryFilter[]): QueryRequest {
  const body: QueryRequest = {};
  if (filters.length > 0) body.filters = filters;
  if (settings.groupBy.length > 0) body.group_by = settings.groupBy.slice(0, 2);
  if (settings.time) body.time = { column: settings.time.column, interval: settings.time.interval };
  body.measures = settings.measures.map((m) =>
    m.column ? { agg: m.agg, column: m.column } : { agg: m.agg },
  );
  if (settings.sort) body.order = [{ by: settings.sort.by, desc: settings.sort.desc }];
  body.limit = settings.limit;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Key figures

/** The sum of the main measure (a count of rows when it has none, or its sums are withheld). */
export function kpiTotalsQuery(
  schema: Schema,
  filters: QueryFilter[],
  names: MeasureNames,
): QueryRequest {
  const main = schema.columns.find((c) => c.name === schema.main_measure);
  const measures: QueryMeasure[] =
    main && !main.sum_withheld
      ? [{ agg: 'sum', column: main.name, as: names.value }]
      : [{ agg: 'count', as: names.value }];
  return withFilters(filters, { measures });
}
