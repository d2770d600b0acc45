// Types of the InsightStream HTTP API (docs/api/openapi.json, OpenAPI 3.1).

export const ROLES = ['owner', 'admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type User = {
  id: string;
  email: string;
  name: string;
  role: Role;
};

export type Organization = {
  id: string;
  name: string;
};

export type Session = {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: User;
  organization: Organization;
};

export type Me = {
  user?: User;
  organization: Organization;
  role?: string;
};

export type SignupInput = {
  organization: string;
  email: string;
  password: string;
  name?: string;
};

export type LoginInput = {
  email: string;
  password: string;
};

export const DATASET_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];
export type DatasetStatus = 'queued' | 'processing' | 'ready' | 'failed';

export type Progress = {
  bytes_done: number;
  bytes_total: number;
  rows: number;
  percent: number;
  eta_seconds: number | null;
};

export type Dataset = {
  id: string;
  name: string;
  format: DatasetFormat;
  version: number;
  status: DatasetStatus;
  progress: Progress;
  size_bytes: number;
  sha256: string;
  rows: number | null;
  rows_rejected: number | null;
  invalid_values?: number | null;
  issues?: number | null;
  error: string | null;
  attempts?: number;
  options?: Record<string, unknown>;
  created_at: string;
  updated_at?: string;
  started_at?: string | null;
  ready_at: string | null;
};

export type Page<T> = {
  items: T[];
  next_cursor: string | null;
};

export type DataError = {
  line: number;
  column?: string | null;
  reason: string;
  raw: string;
};

export type ErrorsPage = Page<DataError> & {
  dataset_id?: string;
  version: number;
  status?: string;
  rows_rejected?: number | null;
  invalid_values?: number | null;
  issues?: number | null;
  stored?: number;
};

export const COLUMN_TYPES = [
  'string',
  'integer',
  'decimal',
  'float',
  'boolean',
  'date',
  'timestamp',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export type ColumnRole = 'time' | 'measure' | 'dimension' | 'identifier';

export type Provenance = {
  dataset_id: string;
  version: number;
  rows: number;
  computed_at: string;
};

export type SchemaColumn = {
  name: string;
  type: ColumnType;
  role: ColumnRole;
  nullable: boolean;
  format: string;
  currency?: string;
  percent?: boolean;
  date_order?: string;
  scale?: number;
  hinted?: boolean;
};

export type Schema = {
  columns: SchemaColumn[];
  primary_time: string | null;
  main_measure: string | null;
  version: number;
  computed_at: string;
  provenance: Provenance;
};

export type ColumnSummary = {
  name: string;
  type: string;
  role?: string;
  values?: number;
  nulls: number;
  invalid?: number;
  distinct: number;
  distinct_exact?: boolean;
  min: string | null;
  max: string | null;
  sum: string | null;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  true?: number;
  false?: number;
  top: { value: string | null; count: number }[];
};

export type Kpi = {
  name: string;
  measure?: string | null;
  value: string;
  period?: string | null;
  period_value?: string | null;
  growth?: number | null;
  yoy?: number | null;
  cagr?: number | null;
};

export type Summary = {
  rows: number;
  rows_rejected?: number;
  invalid_values?: number;
  issues?: number;
  columns: ColumnSummary[];
  kpis: Kpi[];
  version: number;
  computed_at: string;
  provenance: Provenance;
};

export const AGGREGATIONS = ['sum', 'count', 'avg', 'min', 'max'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
export const INTERVALS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];
export const BREAKDOWN_INTERVALS = ['month', 'quarter', 'year'] as const;
export type BreakdownInterval = (typeof BREAKDOWN_INTERVALS)[number];
export const BREAKDOWN_AGGREGATIONS = ['sum', 'count', 'avg'] as const;
export type BreakdownAggregation = (typeof BREAKDOWN_AGGREGATIONS)[number];

export type TimeSeriesPoint = {
  period: string;
  start: string;
  value: number | null;
  count: number;
  growth: number | null;
  previous?: number | null;
  yoy?: number | null;
};

export type TimeSeries = {
  time?: string;
  measure?: string | null;
  agg?: string;
  interval?: string;
  points: TimeSeriesPoint[];
  total: number | null;
  cagr: number | null;
  provenance: Provenance;
};

export type Group = {
  key: string | null;
  value: number | null;
  count: number;
  share: number | null;
};

export type Groups = {
  dimension?: string;
  measure?: string | null;
  agg?: string;
  groups: Group[];
  other: { value: number | null; count: number; share?: number | null };
  total: number | null;
  group_count?: number;
  capped?: boolean;
  provenance: Provenance;
};

export type Breakdown = {
  dimension?: string;
  time?: string;
  measure?: string | null;
  agg?: string;
  interval?: string;
  periods: string[];
  series: { key: string | null; values: (number | null)[] }[];
  partial?: boolean;
  provenance: Provenance;
};

export type Member = {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
};

export type NewMember = {
  email: string;
  role: Role;
  password: string;
  name?: string;
};

export type ApiKeyScope = 'read' | 'write';

export type ApiKey = {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  created_at: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
  created_by?: string | null;
  key?: string;
};

export type AuditEvent = {
  id: string;
  at: string;
  action: string;
  actor: { user_id?: string | null; api_key_id?: string | null };
  target: { type?: string; id?: string | null };
  ip?: string | null;
  user_agent?: string | null;
  request_id?: string | null;
  details?: Record<string, unknown>;
};
