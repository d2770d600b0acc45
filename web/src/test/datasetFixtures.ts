// Shared fixtures of the dataset page's tests.
import type { Dataset, Schema, Summary } from '../api/types';

export const dataset: Dataset = {
  id: 'ds_1',
  name: 'dates',
  format: 'csv',
  version: 1,
  status: 'ready',
  progress: { bytes_done: 100, bytes_total: 100, rows: 5, percent: 100, eta_seconds: 0 },
  size_bytes: 148,
  sha256: 'x',
  rows: 5,
  rows_rejected: 0,
  error: null,
  created_at: '2026-01-01T00:00:00Z',
  ready_at: '2026-01-01T00:00:01Z',
  column_options: {},
  reprocessed_from: null,
};

const provenance = { dataset_id: 'ds_1', version: 1, rows: 5, computed_at: '2026-01-01T00:00:01Z' };

export const schema: Schema = {
  columns: [
    {
      name: 'day',
      type: 'date',
      role: 'time',
      nullable: false,
      format: 'MM/DD/YYYY',
      date_order: 'MDY',
      date_order_source: 'assumed',
    },
    {
      name: 'shipped',
      type: 'date',
      role: 'time',
      nullable: false,
      format: 'DD.MM.YYYY',
      date_order: 'DMY',
      date_order_source: 'separator',
    },
    { name: 'amount', type: 'integer', role: 'measure', nullable: false, format: 'integer' },
    { name: 'region', type: 'string', role: 'dimension', nullable: false, format: 'text' },
    {
      name: 'price',
      type: 'decimal',
      role: 'measure',
      nullable: false,
      format: 'currency €',
      currency: '€',
      decimal_mark: 'comma',
      sum_withheld: 'mixed currencies',
    },
  ],
  primary_time: 'day',
  main_measure: 'amount',
  version: 1,
  computed_at: '2026-01-01T00:00:01Z',
  provenance,
  encoding: 'utf-8',
};

const column = {
  values: 5,
  nulls: 0,
  invalid: 0,
  distinct: 5,
  distinct_exact: true,
  min: null,
  max: null,
  sum: null,
  mean: null,
  p50: null,
  p95: null,
  top: [],
};

export const summary: Summary = {
  rows: 5,
  rows_rejected: 0,
  invalid_values: 0,
  issues: 0,
  columns: [
    { ...column, name: 'day', type: 'date', role: 'time', min: '2023-01-03', max: '2023-05-06' },
    { ...column, name: 'shipped', type: 'date', role: 'time' },
    { ...column, name: 'amount', type: 'integer', role: 'measure', sum: '150', mean: 30 },
    {
      ...column,
      name: 'region',
      type: 'string',
      role: 'dimension',
      distinct: 1234567,
      distinct_exact: false,
    },
    {
      ...column,
      name: 'price',
      type: 'decimal',
      role: 'measure',
      sum_withheld: 'mixed currencies',
      currencies: [
        { currency: 'EUR', symbol: '€', values: 3, sum: '9.50' },
        { currency: 'USD', symbol: '$', values: 2, sum: '6.00' },
      ],
    },
  ],
  kpis: [
    { name: 'rows', measure: null, value: '5' },
    {
      name: 'total',
      measure: 'price',
      value: null,
      withheld: 'mixed currencies',
      period: null,
      period_value: null,
      growth: null,
      yoy: null,
      cagr: null,
    },
  ],
  version: 1,
  computed_at: '2026-01-01T00:00:01Z',
  provenance,
};

/** The JSON body of the fetch call to a path (the stub records every call). */
export function sentBody(fetchMock: { mock: { calls: unknown[][] } }, path: string): unknown {
  const call = fetchMock.mock.calls.find((c) => String(c[0]).includes(path));
  if (!call) throw new Error(`no request to ${path}`);
  const body = (call[1] as RequestInit | undefined)?.body;
  if (typeof body !== 'string') throw new Error(`the request to ${path} has no JSON body`);
  return JSON.parse(body);
}
