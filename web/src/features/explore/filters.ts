// The filters of the dataset view: chips (column, operator, values), the drill-down path and a
// date range on the primary time column, and how they become the filters of POST /query.

import type {
  ColumnType,
  QueryFilter,
  QueryLiteral,
  QueryOp,
  Schema,
  SchemaColumn,
} from '../../api/types';
import { nextDay } from './periods';

/** A filter as the page keeps it (and the URL carries it): values as the user wrote them. */
export type Filter = {
  column: string;
  op: QueryOp;
  values: string[];
};

/** From and to, inclusive days ("YYYY-MM-DD"), on the schema's primary time column. */
export type DateRange = { from?: string | undefined; to?: string | undefined };

/** How many values an operator takes. */
export type Arity = 'none' | 'one' | 'two' | 'many';

export function arity(op: QueryOp): Arity {
  switch (op) {
    case 'is_null':
    case 'not_null':
      return 'none';
    case 'between':
      return 'two';
    case 'in':
    case 'not_in':
      return 'many';
    default:
      return 'one';
  }
}

const TEXT_OPS: readonly QueryOp[] = [
  'eq',
  'ne',
  'in',
  'not_in',
  'contains',
  'is_null',
  'not_null',
];
const NUMBER_OPS: readonly QueryOp[] = [
  'eq',
  'ne',
  'gt',
  'ge',
  'lt',
  'le',
  'between',
  'in',
  'not_in',
  'is_null',
  'not_null',
];
const DATE_OPS: readonly QueryOp[] = [
  'between',
  'ge',
  'le',
  'gt',
  'lt',
  'eq',
  'ne',
  'is_null',
  'not_null',
];
// A timestamp equal to a literal is rarely what anyone means: ranges only.
const TIMESTAMP_OPS: readonly QueryOp[] = [
  'between',
  'ge',
  'le',
  'gt',
  'lt',
  'is_null',
  'not_null',
];
const BOOLEAN_OPS: readonly QueryOp[] = ['eq', 'ne', 'is_null', 'not_null'];

/** The operators that make sense for a column type, the most useful first. */
export function operatorsFor(type: ColumnType): readonly QueryOp[] {
  switch (type) {
    case 'string':
      return TEXT_OPS;
    case 'integer':
    case 'decimal':
    case 'float':
      return NUMBER_OPS;
    case 'date':
      return DATE_OPS;
    case 'timestamp':
      return TIMESTAMP_OPS;
    case 'boolean':
      return BOOLEAN_OPS;
  }
}

const OP_SYMBOLS: Record<QueryOp, string> = {
  eq: '=',
  ne: '≠',
  in: 'is one of',
  not_in: 'is none of',
  lt: '<',
  le: '≤',
  gt: '>',
  ge: '≥',
  between: 'between',
  is_null: 'is empty',
  not_null: 'is not empty',
  contains: 'contains',
};

const OP_WORDS: Record<QueryOp, string> = {
  eq: 'equals',
  ne: 'does not equal',
  in: 'is one of',
  not_in: 'is none of',
  lt: 'is less than',
  le: 'is at most',
  gt: 'is greater than',
  ge: 'is at least',
  between: 'is between',
  is_null: 'is empty',
  not_null: 'is not empty',
  contains: 'contains',
};

/** An operator in words, for the operator choice ("is at least"). */
export function operatorLabel(op: QueryOp): string {
  return OP_WORDS[op];
}

/** A filter in a few words: "region = East", "channel is one of Online, Partner". */
export function filterLabel(filter: Filter): string {
  const { column, op, values } = filter;
  switch (arity(op)) {
    case 'none':
      return `${column} ${OP_SYMBOLS[op]}`;
    case 'two':
      return `${column} between ${values[0] ?? ''} and ${values[1] ?? ''}`;
    case 'many':
      return `${column} ${OP_SYMBOLS[op]} ${values.join(', ')}`;
    case 'one':
      return `${column} ${OP_SYMBOLS[op]} ${values[0] ?? ''}`;
  }
}

/** Two filters that say the same. */
export function sameFilter(a: Filter, b: Filter): boolean {
  return (
    a.column === b.column &&
    a.op === b.op &&
    a.values.length === b.values.length &&
    a.values.every((v, i) => v === b.values[i])
  );
}

/**
 * The drill-down filter for a group's key: the column equals it, or is empty for the null key.
 */
export function drillFilter(column: string, key: string | null): Filter {
  return key === null ? { column, op: 'is_null', values: [] } : { column, op: 'eq', values: [key] };
}

/**
 * A value as the API reads it for a column: booleans as booleans; everything else (text, exact
 * decimals, dates, timestamps) as the string written. An unknown column keeps the text, and the
 * API says what is wrong.
 */
export function literal(value: string, column: SchemaColumn | undefined): QueryLiteral {
  if (column?.type === 'boolean') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  if (column && column.type !== 'string') return value.trim();
  return value;
}

/** One filter as the API's. */
export function toQueryFilter(filter: Filter, column: SchemaColumn | undefined): QueryFilter {
  const { op, values } = filter;
  switch (arity(op)) {
    case 'none':
      return { column: filter.column, op };
    case 'one':
      return { column: filter.column, op, value: literal(values[0] ?? '', column) };
    default:
      return { column: filter.column, op, values: values.map((v) => literal(v, column)) };
  }
}

/**
 * The date range as filters of the time column. Days are inclusive: on a timestamp column "to"
 * means before the next day began.
 */
export function rangeFilters(range: DateRange, column: SchemaColumn | undefined): QueryFilter[] {
  if (!column) return [];
  const { from, to } = range;
  if (column.type === 'timestamp') {
    const out: QueryFilter[] = [];
    if (from) out.push({ column: column.name, op: 'ge', value: from });
    const after = to ? nextDay(to) : null;
    if (after) out.push({ column: column.name, op: 'lt', value: after });
    return out;
  }
  if (from && to) return [{ column: column.name, op: 'between', values: [from, to] }];
  if (from) return [{ column: column.name, op: 'ge', value: from }];
  if (to) return [{ column: column.name, op: 'le', value: to }];
  return [];
}

/** Where a filter of the query came from, to show the API's field errors next to it. */
export type FilterSource =
  { kind: 'chip'; index: number } | { kind: 'drill'; index: number } | { kind: 'range' };

export type FilterState = { filters: Filter[]; drill: Filter[]; range: DateRange };

export type EffectiveFilters = { filters: QueryFilter[]; sources: FilterSource[] };

/** Every filter of the view in the order the query carries them: chips, drill-downs, the range. */
export function effectiveFilters(state: FilterState, schema: Schema): EffectiveFilters {
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const filters: QueryFilter[] = [];
  const sources: FilterSource[] = [];
  state.filters.forEach((f, index) => {
    filters.push(toQueryFilter(f, byName.get(f.column)));
    sources.push({ kind: 'chip', index });
  });
  state.drill.forEach((f, index) => {
    filters.push(toQueryFilter(f, byName.get(f.column)));
    sources.push({ kind: 'drill', index });
  });
  const time = schema.primary_time ? byName.get(schema.primary_time) : undefined;
  for (const f of rangeFilters(state.range, time)) {
    filters.push(f);
    sources.push({ kind: 'range' });
  }
  return { filters, sources };
}

/** Whether a view has any filter at all. */
export function hasFilters(state: FilterState): boolean {
  return (
    state.filters.length > 0 ||
    state.drill.length > 0 ||
    Boolean(state.range.from) ||
    Boolean(state.range.to)
  );
}

/**
 * The API's field errors about filters ("filters.2.value"), per source: chip i, drill step i or
 * the date range.
 */
export function filterErrors(
  fieldErrors: { field: string; message: string }[],
  sources: FilterSource[],
): { chips: Map<number, string>; drill: Map<number, string>; range: string | undefined } {
  const chips = new Map<number, string>();
  const drill = new Map<number, string>();
  let range: string | undefined;
  for (const e of fieldErrors) {
    const m = /^filters\.(\d+)(\.|$)/.exec(e.field);
    if (!m) continue;
    const source = sources[Number(m[1])];
    if (!source) continue;
    if (source.kind === 'chip') chips.set(source.index, e.message);
    else if (source.kind === 'drill') drill.set(source.index, e.message);
    else range = e.message;
  }
  return { chips, drill, range };
}

// ---------------------------------------------------------------------------------------------
// Changes of the state (each one a step back/forward can undo).

/** The state with one more chip (none when the same filter is there already). */
export function withFilter(state: FilterState, filter: Filter): FilterState {
  if (state.filters.some((f) => sameFilter(f, filter))) return state;
  return { ...state, filters: [...state.filters, filter] };
}

export function withoutFilter(state: FilterState, index: number): FilterState {
  return { ...state, filters: state.filters.filter((_, i) => i !== index) };
}

/** One step further down; nothing changes when the view is filtered that way already. */
export function drilledInto(state: FilterState, filter: Filter): FilterState {
  if ([...state.filters, ...state.drill].some((f) => sameFilter(f, filter))) return state;
  return { ...state, drill: [...state.drill, filter] };
}

/** Back to an earlier step of the drill-down path: the first `depth` steps stay (0: none). */
export function drilledBackTo(state: FilterState, depth: number): FilterState {
  return { ...state, drill: state.drill.slice(0, Math.max(depth, 0)) };
}

export function withRange(state: FilterState, range: DateRange): FilterState {
  // An emptied date input gives "": no bound.
  return {
    ...state,
    range: {
      from: range.from === '' ? undefined : range.from,
      to: range.to === '' ? undefined : range.to,
    },
  };
}

export const NO_FILTERS: FilterState = { filters: [], drill: [], range: {} };
