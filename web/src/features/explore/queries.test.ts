import { describe, expect, it } from 'vitest';
import type { QueryCell, QueryColumn, QueryResult, Schema } from '../../api/types';
import {
  breakdownPlan,
  breakdownTopQuery,
  defaultExplore,
  exactDifference,
  exactSum,
  exploreMeasureNames,
  exploreQuery,
  groupsQuery,
  kpiTotalsQuery,
  measureName,
  measureNames,
  scaleOf,
  toBreakdown,
  toGroups,
  totalsQuery,
  toTimeSeries,
  trendQuery,
  type BreakdownSpec,
  type GroupsSpec,
  type TrendSpec,
} from './queries';

const provenance = { dataset_id: 'ds_1', version: 3, rows: 100, computed_at: '' };

const schema: Schema = {
  columns: [
    { name: 'order_date', type: 'date', role: 'time', nullable: false, format: '' },
    { name: 'region', type: 'string', role: 'dimension', nullable: true, format: '' },
    { name: 'channel', type: 'string', role: 'dimension', nullable: false, format: '' },
    { name: 'revenue', type: 'decimal', role: 'measure', nullable: false, format: '', scale: 2 },
    { name: 'quantity', type: 'integer', role: 'measure', nullable: false, format: '' },
    // A column named like the panels' first choice of a measure name.
    { name: 'value', type: 'float', role: 'measure', nullable: false, format: '' },
  ],
  primary_time: 'order_date',
  main_measure: 'revenue',
  version: 3,
  computed_at: '',
  provenance,
};

const names = measureNames(schema);
const east = [{ column: 'region', op: 'eq' as const, value: 'East' }];

function result(rows: Record<string, QueryCell>[], extra: Partial<QueryResult> = {}): QueryResult {
  const columns: QueryColumn[] = Object.keys(rows[0] ?? {}).map((name) => ({
    name,
    kind: name === 'period' ? 'period' : 'measure',
    type: 'decimal',
  }));
  return {
    columns,
    rows,
    total_groups: rows.length,
    rows_scanned: 100,
    rows_matched: 40,
    row_groups: 1,
    row_groups_skipped: 0,
    elapsed_ms: 1,
    provenance,
    ...extra,
  };
}

describe('measure names and exact arithmetic', () => {
  it('names measures as the API does, and the panels’ ones apart from every column', () => {
    expect(measureName({ agg: 'sum', column: 'revenue' })).toBe('sum_revenue');
    expect(measureName({ agg: 'count' })).toBe('count');
    expect(measureName({ agg: 'p95', column: 'x', as: 'top' })).toBe('top');
    expect(names).toEqual({ value: 'value_', count: 'rows', sum: 'sum' });
  });

  it('adds and subtracts decimals of a known scale without float residue', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(exactSum([0.1, 0.2], 2)).toBe(0.3);
    expect(exactDifference(156867.53, [100000.1, 56867.42], 2)).toBe(0.01);
    expect(exactDifference(-1.5, [0.25], 2)).toBe(-1.75);
    expect(exactDifference(10, [3, 3], 0)).toBe(4);
    expect(exactDifference(null, [1], 2)).toBeNull();
    expect(exactSum([1, null], 2)).toBeNull();
    expect(scaleOf(schema, 'revenue')).toBe(2);
    expect(scaleOf(schema, 'quantity')).toBe(0);
    expect(scaleOf(schema, 'value')).toBeNull();
    expect(scaleOf(schema, undefined)).toBe(0);
  });
});

describe('trend', () => {
  const spec: TrendSpec = {
    filters: east,
    time: 'order_date',
    interval: 'month',
    measure: 'revenue',
    agg: 'sum',
    compare: true,
  };

  it('asks for a time bucket with the value, its count and the filters', () => {
    expect(trendQuery(spec, names)).toEqual({
      filters: east,
      time: { column: 'order_date', interval: 'month' },
      measures: [
        { agg: 'sum', column: 'revenue', as: 'value_' },
        { agg: 'count', column: 'revenue', as: 'rows' },
      ],
      limit: 10000,
    });
    expect(trendQuery({ ...spec, filters: [], agg: 'count' }, names)).toEqual({
      time: { column: 'order_date', interval: 'month' },
      measures: [{ agg: 'count', as: 'value_' }],
      limit: 10000,
    });
    expect(trendQuery({ ...spec, agg: 'avg' }, names).measures).toHaveLength(3);
  });

  it('fills empty periods as /timeseries does, with growth, YoY and the total', () => {
    const answer = result([
      { period: '2023-11', value_: 100.1, rows: 2 },
      { period: '2024-01', value_: 50.2, rows: 1 },
      { period: null, value_: 9, rows: 1 }, // no date: in no period
      { period: '2024-11', value_: 150.15, rows: 3 },
    ]);
    const series = toTimeSeries(answer, spec, names, 2);
    expect(series.points).toHaveLength(13);
    // November 2022 is before the data: unknown, not zero.
    expect(series.points[0]).toEqual({
      period: '2023-11',
      start: '2023-11-01',
      value: 100.1,
      count: 2,
      growth: null,
      previous: null,
      yoy: null,
    });
    expect(series.points[1]).toMatchObject({ period: '2023-12', value: 0, count: 0, growth: -1 });
    expect(series.points[2]).toMatchObject({ period: '2024-01', value: 50.2, growth: null });
    const last = series.points[12];
    expect(last).toMatchObject({ period: '2024-11', value: 150.15, previous: 100.1 });
    expect(last?.yoy).toBeCloseTo(0.5, 2);
    expect(series.total).toBe(300.45);
    expect(series.cagr).toBeNull();
    expect(series.provenance.version).toBe(3);
  });

  it('spans the date range when it is on the trend’s column, and leaves averages of nothing unknown', () => {
    const answer = result([{ period: '2024-02', value_: 10, rows: 2, sum: 20 }]);
    const series = toTimeSeries(
      answer,
      { ...spec, agg: 'avg', compare: false, range: { from: '2024-01-15', to: '2024-03-02' } },
      names,
      2,
    );
    expect(series.points.map((p) => [p.period, p.value])).toEqual([
      ['2024-01', null],
      ['2024-02', 10],
      ['2024-03', null],
    ]);
    expect(series.total).toBe(10);
    expect(toTimeSeries(result([]), spec, names, 2).points).toEqual([]);
  });
});

describe('groups', () => {
  const spec: GroupsSpec = {
    filters: east,
    dimension: 'channel',
    measure: 'revenue',
    agg: 'sum',
    limit: 2,
  };

  it('asks for the top groups (ranked by the API as /groups ranks) and the totals', () => {
    expect(groupsQuery(spec, names)).toEqual({
      filters: east,
      group_by: ['channel'],
      measures: [
        { agg: 'sum', column: 'revenue', as: 'value_' },
        { agg: 'count', column: 'revenue', as: 'rows' },
      ],
      limit: 2,
    });
    expect(totalsQuery(spec, names)).toEqual({
      filters: east,
      measures: [
        { agg: 'sum', column: 'revenue', as: 'value_' },
        { agg: 'count', column: 'revenue', as: 'rows' },
      ],
    });
  });

  it('makes "Other" the exact rest of the total, with shares', () => {
    const top = result(
      [
        { channel: 'Online', value_: 100.1, rows: 3 },
        { channel: null, value_: 50.2, rows: 2 },
      ],
      { total_groups: 3 },
    );
    const totals = result([{ value_: 200.6, rows: 7 }]);
    const groups = toGroups(top, totals, spec, names, 2);
    expect(groups.groups).toEqual([
      { key: 'Online', value: 100.1, count: 3, share: 100.1 / 200.6 },
      { key: null, value: 50.2, count: 2, share: 50.2 / 200.6 },
    ]);
    expect(groups.other).toEqual({ value: 50.3, count: 2, share: 50.3 / 200.6 });
    expect(groups.total).toBe(200.6);
    expect(groups.group_count).toBe(3);
  });

  it('averages what is left for an average, and gives no share', () => {
    const avg = { ...spec, agg: 'avg' as const };
    const top = result([{ channel: 'Online', value_: 10, rows: 2, sum: 20 }], { total_groups: 2 });
    const totals = result([{ value_: 15, rows: 4, sum: 60 }]);
    const groups = toGroups(top, totals, avg, names, 2);
    expect(groups.other).toEqual({ value: 20, count: 2, share: null });
    expect(groups.groups[0]?.share).toBeNull();
  });
});

describe('breakdown', () => {
  const spec: BreakdownSpec = {
    filters: east,
    dimension: 'channel',
    time: 'order_date',
    measure: 'revenue',
    agg: 'sum',
    interval: 'quarter',
    limit: 2,
  };

  it('ranks the groups first, then asks only for the top ones when there are more', () => {
    expect(breakdownTopQuery(spec, names)).toEqual({
      filters: east,
      group_by: ['channel'],
      measures: [{ agg: 'sum', column: 'revenue', as: 'value_' }],
      limit: 2,
    });
    const all = breakdownPlan(spec, names, result([{ channel: 'Online' }, { channel: 'Retail' }]));
    expect(all.totals).toBeNull();
    expect(all.series).toEqual([
      {
        filters: east,
        group_by: ['channel'],
        time: { column: 'order_date', interval: 'quarter' },
        measures: [
          { agg: 'sum', column: 'revenue', as: 'value_' },
          { agg: 'count', column: 'revenue', as: 'rows' },
        ],
        limit: 10000,
      },
    ]);
  });

  it('names the top keys with "in", the empty group with is_null, and the totals for "Other"', () => {
    const top = result([{ channel: 'Online' }, { channel: null }], { total_groups: 5 });
    const plan = breakdownPlan(spec, names, top);
    expect(plan.keys).toEqual(['Online', null]);
    expect(plan.series.map((q) => q.filters)).toEqual([
      [...east, { column: 'channel', op: 'in', values: ['Online'] }],
      [...east, { column: 'channel', op: 'is_null' }],
    ]);
    expect(plan.totals).toEqual({
      filters: east,
      time: { column: 'order_date', interval: 'quarter' },
      measures: [
        { agg: 'sum', column: 'revenue', as: 'value_' },
        { agg: 'count', column: 'revenue', as: 'rows' },
      ],
      limit: 10000,
    });

    const online = result([
      { channel: 'Online', period: '2024-Q1', value_: 10.1, rows: 1 },
      { channel: 'Online', period: '2024-Q3', value_: 30.3, rows: 2 },
    ]);
    const empty = result([{ channel: null, period: '2024-Q3', value_: 0.2, rows: 1 }]);
    const totals = result([
      { period: '2024-Q1', value_: 10.4, rows: 2 },
      { period: '2024-Q2', value_: 5, rows: 1 },
      { period: '2024-Q3', value_: 30.5, rows: 3 },
    ]);
    const breakdown = toBreakdown(plan, [online, empty], totals, spec, names, 2);
    expect(breakdown.periods).toEqual(['2024-Q1', '2024-Q2', '2024-Q3']);
    expect(breakdown.series).toEqual([
      { key: 'Online', values: [10.1, 0, 30.3] },
      { key: null, values: [0, 0, 0.2] },
    ]);
    expect(breakdown.other).toEqual({ values: [0.3, 5, 0] });
    expect(breakdown.partial).toBe(false);
  });
});

describe('explore and key figures', () => {
  it('starts from the first dimension and the main measure', () => {
    expect(defaultExplore(schema)).toEqual({
      groupBy: ['region'],
      time: null,
      measures: [{ agg: 'sum', column: 'revenue' }],
      sort: null,
      limit: 100,
    });
  });

  it('asks for exactly the settings and the filters', () => {
    const settings = {
      groupBy: ['region', 'channel'],
      time: { column: 'order_date', interval: 'year' as const },
      measures: [{ agg: 'sum' as const, column: 'revenue' }, { agg: 'count' as const }],
      sort: { by: 'sum_revenue', desc: true },
      limit: 1000,
    };
    expect(exploreQuery(settings, east)).toEqual({
      filters: east,
      group_by: ['region', 'channel'],
      time: { column: 'order_date', interval: 'year' },
      measures: [{ agg: 'sum', column: 'revenue' }, { agg: 'count' }],
      order: [{ by: 'sum_revenue', desc: true }],
      limit: 1000,
    });
    expect(exploreMeasureNames(settings)).toEqual(['sum_revenue', 'count']);
    expect(
      exploreQuery(
        { groupBy: [], time: null, measures: [{ agg: 'count' }], sort: null, limit: 10 },
        [],
      ),
    ).toEqual({ measures: [{ agg: 'count' }], limit: 10 });
  });

  it('totals the main measure for the key figures, or counts rows when its sums are withheld', () => {
    expect(kpiTotalsQuery(schema, east, names)).toEqual({
      filters: east,
      measures: [{ agg: 'sum', column: 'revenue', as: 'value_' }],
    });
    const withheld = {
      ...schema,
      columns: schema.columns.map((c) =>
        c.name === 'revenue' ? { ...c, sum_withheld: 'mixed currencies' } : c,
      ),
    };
    expect(kpiTotalsQuery(withheld, east, names).measures).toEqual([
      { agg: 'count', as: 'value_' },
    ]);
  });
});
