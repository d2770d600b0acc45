// Types of the InsightStream HTTP API (docs/api/openapi.json, OpenAPI 3.1).

export const ROLES = ['owner', 'admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type User = {
  id: string;
  email: string;
  name: string;
  role: Role;
  /**
   * An admin reset the password: every route but GET /me, POST /me/password and logout answers
   * 403 password-change-required until the member chooses a new one.
   */
  must_change_password?: boolean;
};

export type Organization = {
  id: string;
  name: string;
};

/** An organization this e-mail and password sign in to, with the role there. */
export type OrganizationChoice = Organization & { role: Role };

export type Session = {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: User;
  organization: Organization;
  /**
   * Every organization this e-mail and password sign in to (the session is for `organization`).
   * A refreshed session lists only its own; GET /me has them all.
   */
  organizations?: OrganizationChoice[];
};

export type Me = {
  user?: User;
  organization: Organization;
  role?: string;
  /** The organizations this sign-in can switch to (POST /auth/switch). */
  organizations?: OrganizationChoice[];
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
  /** The organization to sign in to; by default the one used most recently. */
  organization?: string;
};

/** POST /me/password; the new password has at least 10 characters. */
export type ChangePasswordInput = {
  current_password: string;
  new_password: string;
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

export type SnapshotStatus = 'writing' | 'ready' | 'failed';

/**
 * A version's columnar snapshot (Parquet), which POST /query and the export read. It is written
 * a few seconds after the version is ready: meanwhile those answer 409 snapshot-pending (with
 * Retry-After); a snapshot that could not be written makes them answer 409 snapshot-failed.
 */
export type VersionSnapshot = {
  status: SnapshotStatus;
  /** Why the snapshot could not be written (status failed); null otherwise. */
  error: string | null;
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
  /** The latest version's snapshot; null until the version is ready (absent from older servers). */
  snapshot?: VersionSnapshot | null;
  attempts?: number;
  options?: Record<string, unknown>;
  /** Column settings the dataset remembers for later versions (from uploads and reprocessing). */
  column_options?: ColumnOptions;
  /** The version whose stored source file this version read again; null for an upload. */
  reprocessed_from?: number | null;
  created_at: string;
  updated_at?: string;
  started_at?: string | null;
  ready_at: string | null;
};

export type Page<T> = {
  items: T[];
  next_cursor: string | null;
};

/**
 * rejected: the row was not read; invalid: a value broke its column's type and is left out of
 * every statistic; note: the line was read after a fix (bytes read as Windows-1252).
 */
export type DataErrorKind = 'rejected' | 'invalid' | 'note';

export type DataError = {
  line: number;
  column?: string | null;
  reason: string;
  raw: string;
  kind?: DataErrorKind;
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
export const COLUMN_ROLES = ['time', 'measure', 'dimension', 'identifier'] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

/** Day/month order of numeric dates (01/03/2023) in a hint or an option. */
export type DateOrderHint = 'dmy' | 'mdy';
/** Decimal mark of numbers: comma (1.234,56) or point (1,234.56). */
export type DecimalMarkHint = 'comma' | 'point';
export type NumberType = 'integer' | 'decimal' | 'float';
export type TemporalType = 'date' | 'timestamp';

/**
 * A column type hint: a type name, optionally with a format ("date:dmy", "decimal:comma",
 * "date:yyyymmdd", "timestamp:epoch_ms"). An integer hinted with a decimal mark reads as decimal.
 */
export type TypeHint =
  | ColumnType
  | `${TemporalType}:${DateOrderHint | 'yyyymmdd'}`
  | `timestamp:${'epoch' | 'epoch_ms'}`
  | `${NumberType}:${DecimalMarkHint}`;

/** Column settings of an upload or a reprocess; every one optional. */
export type ColumnOptions = {
  /** column → type hint */
  types?: Record<string, TypeHint>;
  /** column → role */
  roles?: Record<string, ColumnRole>;
  /** The order of numeric dates in every column. */
  date_order?: DateOrderHint;
  /** The decimal mark of every number column. */
  decimal?: DecimalMarkHint;
  /** CSV: whether quoted fields may hold line breaks. */
  quoted_newlines?: boolean;
};

/** POST /datasets/{id}/reprocess: read a version's stored source again with changed settings. */
export type ReprocessInput = ColumnOptions & {
  /** The version to read again (default: the latest); not one still queued or processing. */
  version?: number;
};

/** Where a date column's day/month order came from; assumed: nothing in the file tells. */
export type DateOrderSource = 'data' | 'separator' | 'hint' | 'assumed';
export type TextEncoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

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
  /** Numeric dates: the order they are read in. */
  date_order?: 'MDY' | 'DMY';
  date_order_source?: DateOrderSource;
  /** Present for numbers written with a decimal comma. */
  decimal_mark?: 'comma';
  /** Why sums of this measure are not given ("mixed currencies", "overflow"). */
  sum_withheld?: string;
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
  /** The file's text encoding (everything is read as UTF-8). */
  encoding?: TextEncoding;
  /** JSON keys that are not columns (first seen after the sample, beyond the column limit). */
  unanalysed_keys?: number;
};

/** One currency's total in a column that mixes currencies (they are never added together). */
export type CurrencySum = {
  currency: string | null;
  symbol: string | null;
  values: number;
  sum: string | null;
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
  /** Why sum and mean are null: "mixed currencies" (see currencies), "overflow". */
  sum_withheld?: string;
  currencies?: CurrencySum[];
  /** Values with more than 9 fractional digits, rounded half to even to 9. */
  rounded?: number;
  /** Values after the sample that widened an integer column (fractions, beyond int64). */
  widened?: number;
  /** The min or max text was longer than kept and is cut. */
  text_truncated?: boolean;
};

export type Kpi = {
  name: string;
  measure?: string | null;
  /** Exact decimal string; null when withheld (see withheld). */
  value: string | null;
  /** Why value is null, e.g. "mixed currencies". */
  withheld?: string;
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
  /** Some sum is beyond the exact range; those values are null. */
  overflow?: boolean;
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
  /** An estimate when capped. */
  group_count?: number;
  /** More distinct values than the exact cap: the groups shown are exact, group_count is not. */
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
  /** The top groups, ranked exactly as /groups ranks them. */
  series: { key: string | null; values: (number | null)[] }[];
  /** Every row of each period that is not in a series shown. */
  other?: { values: (number | null)[] } | null;
  partial?: boolean;
  provenance: Provenance;
};

// POST /datasets/{id}/query: an ad-hoc question over a version's snapshot.

export const QUERY_OPS = [
  'eq',
  'ne',
  'in',
  'not_in',
  'lt',
  'le',
  'gt',
  'ge',
  'between',
  'is_null',
  'not_null',
  'contains',
] as const;
export type QueryOp = (typeof QUERY_OPS)[number];

/** Strings for text, dates ("YYYY-MM-DD"), timestamps (ISO) and exact decimals; numbers; booleans. */
export type QueryLiteral = string | number | boolean;

/** One condition; every filter of a query must hold (AND). A null value passes only is_null. */
export type QueryFilter = {
  column: string;
  op: QueryOp;
  value?: QueryLiteral;
  values?: QueryLiteral[];
};

export const QUERY_AGGREGATIONS = [
  'sum',
  'count',
  'avg',
  'min',
  'max',
  'count_distinct',
  'p50',
  'p95',
] as const;
export type QueryAggregation = (typeof QUERY_AGGREGATIONS)[number];

/** A measure: its name is `as`, else "<agg>_<column>", else "count" (a count of rows). */
export type QueryMeasure = { agg: QueryAggregation; column?: string; as?: string };

/** By a group column, "period" or a measure's name. */
export type QueryOrder = { by: string; desc?: boolean };

export type QueryRequest = {
  filters?: QueryFilter[];
  /** At most two columns. */
  group_by?: string[];
  time?: { column: string; interval?: Interval };
  /** Default: one count of rows. */
  measures?: QueryMeasure[];
  /** Default: by period when there is a time bucket, else the first measure as /groups ranks. */
  order?: QueryOrder[];
  /** 1..10000, default 1000. */
  limit?: number;
  offset?: number;
};

export type QueryColumn = {
  name: string;
  kind: 'group' | 'period' | 'measure';
  /** A column type for groups and measures; the interval for the period. */
  type: string;
};

export type QueryCell = string | number | boolean | null;

export type QueryResult = {
  columns: QueryColumn[];
  rows: Record<string, QueryCell>[];
  /** Groups (rows) of the whole answer, before limit and offset. */
  total_groups: number;
  rows_scanned: number;
  rows_matched: number;
  row_groups: number;
  row_groups_skipped: number;
  elapsed_ms: number;
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
  /** The member must choose a new password at the first login (default false). */
  must_change_password?: boolean;
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
