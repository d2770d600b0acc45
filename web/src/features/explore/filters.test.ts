import { describe, expect, it } from 'vitest';
import type { Schema } from '../../api/types';
import {
  drilledBackTo,
  drilledInto,
  drillFilter,
  effectiveFilters,
  filterErrors,
  filterLabel,
  hasFilters,
  NO_FILTERS,
  operatorsFor,
  rangeFilters,
  toQueryFilter,
  withFilter,
  withoutFilter,
  withRange,
  type FilterState,
} from './filters';

const provenance = { dataset_id: 'ds_1', version: 1, rows: 10, computed_at: '' };
const column = (
  name: string,
  type: Schema['columns'][number]['type'],
  role: Schema['columns'][number]['role'],
) => ({
  name,
  type,
  role,
  nullable: true,
  format: '',
});

const schema: Schema = {
  columns: [
    column('order_date', 'date', 'time'),
    column('region', 'string', 'dimension'),
    column('vip', 'boolean', 'dimension'),
    column('revenue', 'decimal', 'measure'),
    column('seen_at', 'timestamp', 'time'),
  ],
  primary_time: 'order_date',
  main_measure: 'revenue',
  version: 1,
  computed_at: '',
  provenance,
};

describe('operators', () => {
  it('offers the operators a type allows', () => {
    expect(operatorsFor('string')).toContain('contains');
    expect(operatorsFor('decimal')).not.toContain('contains');
    expect(operatorsFor('decimal')).toContain('between');
    expect(operatorsFor('boolean')).toEqual(['eq', 'ne', 'is_null', 'not_null']);
    expect(operatorsFor('timestamp')).not.toContain('eq');
    expect(operatorsFor('date')[0]).toBe('between');
  });

  it('labels chips in a few words', () => {
    expect(filterLabel({ column: 'region', op: 'eq', values: ['East'] })).toBe('region = East');
    expect(filterLabel({ column: 'region', op: 'not_in', values: ['A', 'B'] })).toBe(
      'region is none of A, B',
    );
    expect(filterLabel({ column: 'revenue', op: 'ge', values: ['10'] })).toBe('revenue ≥ 10');
    expect(filterLabel({ column: 'region', op: 'is_null', values: [] })).toBe('region is empty');
    expect(filterLabel({ column: 'd', op: 'between', values: ['2024-01-01', '2024-02-01'] })).toBe(
      'd between 2024-01-01 and 2024-02-01',
    );
  });
});

describe('filters as the API reads them', () => {
  const col = (name: string) => schema.columns.find((c) => c.name === name);

  it('sends booleans as booleans, exact decimals and dates as text', () => {
    expect(toQueryFilter({ column: 'vip', op: 'eq', values: ['True'] }, col('vip'))).toEqual({
      column: 'vip',
      op: 'eq',
      value: true,
    });
    expect(
      toQueryFilter(
        { column: 'revenue', op: 'between', values: [' 10.50', '99.99'] },
        col('revenue'),
      ),
    ).toEqual({ column: 'revenue', op: 'between', values: ['10.50', '99.99'] });
    expect(toQueryFilter({ column: 'region', op: 'in', values: [' East'] }, col('region'))).toEqual(
      {
        column: 'region',
        op: 'in',
        values: [' East'],
      },
    );
    expect(
      toQueryFilter({ column: 'region', op: 'is_null', values: ['x'] }, col('region')),
    ).toEqual({ column: 'region', op: 'is_null' });
    // A column the schema does not have: the API says what is wrong.
    expect(toQueryFilter({ column: 'gone', op: 'eq', values: ['1'] }, undefined)).toEqual({
      column: 'gone',
      op: 'eq',
      value: '1',
    });
  });

  it('turns a date range into between, ge or le on a date column', () => {
    const day = col('order_date');
    expect(rangeFilters({ from: '2024-01-01', to: '2024-03-31' }, day)).toEqual([
      { column: 'order_date', op: 'between', values: ['2024-01-01', '2024-03-31'] },
    ]);
    expect(rangeFilters({ from: '2024-01-01' }, day)).toEqual([
      { column: 'order_date', op: 'ge', value: '2024-01-01' },
    ]);
    expect(rangeFilters({ to: '2024-03-31' }, day)).toEqual([
      { column: 'order_date', op: 'le', value: '2024-03-31' },
    ]);
    expect(rangeFilters({}, day)).toEqual([]);
  });

  it('keeps the whole last day on a timestamp column (before the next day begins)', () => {
    expect(rangeFilters({ from: '2024-02-01', to: '2024-02-29' }, col('seen_at'))).toEqual([
      { column: 'seen_at', op: 'ge', value: '2024-02-01' },
      { column: 'seen_at', op: 'lt', value: '2024-03-01' },
    ]);
    expect(rangeFilters({ to: '2024-12-31' }, col('seen_at'))).toEqual([
      { column: 'seen_at', op: 'lt', value: '2025-01-01' },
    ]);
  });

  it('orders chips, drill-down steps and the range, and maps field errors back to them', () => {
    const state: FilterState = {
      filters: [
        { column: 'region', op: 'ne', values: ['North'] },
        { column: 'revenue', op: 'gt', values: ['abc'] },
      ],
      drill: [{ column: 'vip', op: 'eq', values: ['true'] }],
      range: { from: '2024-01-01' },
    };
    const { filters, sources } = effectiveFilters(state, schema);
    expect(filters).toEqual([
      { column: 'region', op: 'ne', value: 'North' },
      { column: 'revenue', op: 'gt', value: 'abc' },
      { column: 'vip', op: 'eq', value: true },
      { column: 'order_date', op: 'ge', value: '2024-01-01' },
    ]);
    const errors = filterErrors(
      [
        { field: 'filters.1.value', message: 'must be a number' },
        { field: 'filters.2', message: 'no such value' },
        { field: 'filters.3.value', message: 'not a date' },
        { field: 'filters.9', message: 'nothing there' },
        { field: 'measures.0', message: 'not a filter' },
      ],
      sources,
    );
    expect([...errors.chips]).toEqual([[1, 'must be a number']]);
    expect([...errors.drill]).toEqual([[0, 'no such value']]);
    expect(errors.range).toBe('not a date');
  });
});

describe('changes of the filter state', () => {
  const east = drillFilter('region', 'East');

  it('drills into a key, or into the empty group with is_null', () => {
    expect(east).toEqual({ column: 'region', op: 'eq', values: ['East'] });
    expect(drillFilter('region', null)).toEqual({ column: 'region', op: 'is_null', values: [] });
  });

  it('adds drill-down steps in order, once, and goes back to any of them', () => {
    const one = drilledInto(NO_FILTERS, east);
    const two = drilledInto(one, drillFilter('channel', 'Online'));
    expect(two.drill.map(filterLabel)).toEqual(['region = East', 'channel = Online']);
    expect(drilledInto(two, east)).toBe(two);
    expect(drilledBackTo(two, 1).drill).toEqual([east]);
    expect(drilledBackTo(two, 0).drill).toEqual([]);
    expect(hasFilters(two)).toBe(true);
    expect(hasFilters(drilledBackTo(two, 0))).toBe(false);
  });

  it('adds a chip once and removes the one asked for', () => {
    const state = withFilter(withFilter(NO_FILTERS, east), { ...east, values: ['West'] });
    expect(withFilter(state, east)).toBe(state);
    expect(withoutFilter(state, 0).filters).toEqual([{ ...east, values: ['West'] }]);
    // A chip that says it already: no drill-down step.
    expect(drilledInto(state, east)).toBe(state);
  });

  it('clears a bound of the range with an empty date', () => {
    const state = withRange(NO_FILTERS, { from: '2024-01-01', to: '2024-02-01' });
    expect(withRange(state, { from: '', to: '2024-02-01' }).range).toEqual({
      from: undefined,
      to: '2024-02-01',
    });
    expect(hasFilters(withRange(state, { from: '', to: '' }))).toBe(false);
  });
});
