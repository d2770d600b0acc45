import { requestBlob, requestJson } from './http';
import type {
  Aggregation,
  Breakdown,
  BreakdownAggregation,
  BreakdownInterval,
  Groups,
  Interval,
  QueryRequest,
  QueryResult,
  Schema,
  Summary,
  TimeSeries,
} from './types';

const base = (id: string) => `/datasets/${encodeURIComponent(id)}`;

export type VersionParam = { version?: number };

export function getSchema(
  id: string,
  params: VersionParam = {},
  signal?: AbortSignal,
): Promise<Schema> {
  return requestJson<Schema>(`${base(id)}/schema`, { query: params, signal });
}

export function getSummary(
  id: string,
  params: VersionParam = {},
  signal?: AbortSignal,
): Promise<Summary> {
  return requestJson<Summary>(`${base(id)}/summary`, { query: params, signal });
}

export type TimeSeriesParams = VersionParam & {
  time?: string;
  measure?: string;
  agg?: Aggregation;
  interval?: Interval;
  compare?: 'yoy';
  from?: string;
  to?: string;
};

export function getTimeSeries(
  id: string,
  params: TimeSeriesParams,
  signal?: AbortSignal,
): Promise<TimeSeries> {
  return requestJson<TimeSeries>(`${base(id)}/timeseries`, { query: params, signal });
}

export type GroupsParams = VersionParam & {
  dimension: string;
  measure?: string;
  agg?: Aggregation;
  limit?: number;
};

export function getGroups(id: string, params: GroupsParams, signal?: AbortSignal): Promise<Groups> {
  return requestJson<Groups>(`${base(id)}/groups`, { query: params, signal });
}

export type BreakdownParams = VersionParam & {
  dimension: string;
  time?: string;
  measure?: string;
  agg?: BreakdownAggregation;
  interval?: BreakdownInterval;
  limit?: number;
};

export function getBreakdown(
  id: string,
  params: BreakdownParams,
  signal?: AbortSignal,
): Promise<Breakdown> {
  return requestJson<Breakdown>(`${base(id)}/breakdown`, { query: params, signal });
}

export type InsightKind = 'schema' | 'summary' | 'timeseries' | 'groups' | 'breakdown';

/** Any insight as CSV (Accept: text/csv), with the same parameters as its JSON form. */
export function downloadInsightCsv(
  id: string,
  kind: InsightKind,
  params: Record<string, string | number | undefined>,
): Promise<{ blob: Blob; filename: string | null }> {
  return requestBlob(`${base(id)}/${kind}`, { accept: 'text/csv', query: params });
}

/** POST /query: filters, group by (up to two columns), a time bucket and measures. */
export function postQuery(
  id: string,
  body: QueryRequest,
  params: VersionParam = {},
  signal?: AbortSignal,
): Promise<QueryResult> {
  return requestJson<QueryResult>(`${base(id)}/query`, {
    method: 'POST',
    json: body,
    query: params,
    signal,
  });
}

/** The same question as CSV (Accept: text/csv). */
export function downloadQueryCsv(
  id: string,
  body: QueryRequest,
  params: VersionParam = {},
): Promise<{ blob: Blob; filename: string | null }> {
  return requestBlob(`${base(id)}/query`, {
    method: 'POST',
    json: body,
    accept: 'text/csv',
    query: params,
  });
}

/** Every row of a version as Apache Parquet (its columnar snapshot). */
export function downloadParquet(
  id: string,
  params: VersionParam = {},
): Promise<{ blob: Blob; filename: string | null }> {
  return requestBlob(`${base(id)}/export`, {
    accept: 'application/vnd.apache.parquet',
    query: { ...params, format: 'parquet' },
  });
}
