// The trend, groups and breakdown of a filtered view, from POST /query, in the shapes of
// /timeseries, /groups and /breakdown (see queries.ts).

import {
  postQuery,
  type BreakdownParams,
  type GroupsParams,
  type TimeSeriesParams,
} from '../../api/insights';
import type { Breakdown, Groups, QueryFilter, Schema, TimeSeries } from '../../api/types';
import type { DateRange } from './filters';
import {
  breakdownPlan,
  breakdownTopQuery,
  groupsQuery,
  measureNames,
  scaleOf,
  toBreakdown,
  toGroups,
  totalsQuery,
  toTimeSeries,
  trendQuery,
} from './queries';

/** The filters a panel applies, with the schema they are read against. */
export type PanelFilters = {
  filters: QueryFilter[];
  range: DateRange;
  schema: Schema;
};

function timeColumn(schema: Schema, time: string | undefined): string {
  return time ?? schema.primary_time ?? schema.columns.find((c) => c.role === 'time')?.name ?? '';
}

export async function filteredTimeSeries(
  id: string,
  version: number,
  params: Omit<TimeSeriesParams, 'version'>,
  view: PanelFilters,
  signal?: AbortSignal,
): Promise<TimeSeries> {
  const { schema } = view;
  const time = timeColumn(schema, params.time);
  const spec = {
    filters: view.filters,
    time,
    interval: params.interval ?? 'month',
    measure: params.measure,
    agg: params.agg ?? 'sum',
    compare: params.compare === 'yoy',
    range: time === schema.primary_time ? view.range : undefined,
  };
  const names = measureNames(schema);
  const result = await postQuery(id, trendQuery(spec, names), { version }, signal);
  return toTimeSeries(result, spec, names, scaleOf(schema, params.measure));
}

export async function filteredGroups(
  id: string,
  version: number,
  params: Omit<GroupsParams, 'version'>,
  view: PanelFilters,
  signal?: AbortSignal,
): Promise<Groups> {
  const { schema } = view;
  const spec = {
    filters: view.filters,
    dimension: params.dimension,
    measure: params.measure,
    agg: params.agg ?? 'sum',
    limit: params.limit ?? 10,
  };
  const names = measureNames(schema);
  const [groups, totals] = await Promise.all([
    postQuery(id, groupsQuery(spec, names), { version }, signal),
    postQuery(id, totalsQuery(spec, names), { version }, signal),
  ]);
  return toGroups(groups, totals, spec, names, scaleOf(schema, params.measure));
}

export async function filteredBreakdown(
  id: string,
  version: number,
  params: Omit<BreakdownParams, 'version'>,
  view: PanelFilters,
  signal?: AbortSignal,
): Promise<Breakdown> {
  const { schema } = view;
  const spec = {
    filters: view.filters,
    dimension: params.dimension,
    time: timeColumn(schema, params.time),
    measure: params.measure,
    agg: params.agg ?? 'sum',
    interval: params.interval ?? 'quarter',
    limit: params.limit ?? 6,
  };
  const names = measureNames(schema);
  const top = await postQuery(id, breakdownTopQuery(spec, names), { version }, signal);
  const plan = breakdownPlan(spec, names, top);
  const [series, totals] = await Promise.all([
    Promise.all(plan.series.map((body) => postQuery(id, body, { version }, signal))),
    plan.totals ? postQuery(id, plan.totals, { version }, signal) : Promise.resolve(null),
  ]);
  return toBreakdown(plan, series, totals, spec, names, scaleOf(schema, params.measure));
}
