import { describe, expect, it } from 'vitest';
import { schema } from '../../test/datasetFixtures';
import { initialChoice, reprocessBody, typeHintFor, type ColumnChoice } from './columnSettings';

const col = (name: string) => schema.columns.find((c) => c.name === name)!;
const choice = (name: string, change: Partial<ColumnChoice>): ColumnChoice => ({
  ...initialChoice(col(name)),
  ...change,
});

describe('column settings → reprocess body', () => {
  it('sends nothing when nothing changed', () => {
    const choices = Object.fromEntries(schema.columns.map((c) => [c.name, initialChoice(c)]));
    expect(reprocessBody(schema.columns, choices)).toEqual({});
  });

  it('puts the day/month order and the decimal mark in the type hint', () => {
    expect(typeHintFor(col('day'), choice('day', { order: 'dmy' }))).toBe('date:dmy');
    expect(typeHintFor(col('amount'), choice('amount', { mark: 'comma' }))).toBe('integer:comma');
    expect(typeHintFor(col('region'), choice('region', { type: 'integer' }))).toBe('integer');
    expect(typeHintFor(col('region'), choice('region', { type: 'date', order: 'mdy' }))).toBe(
      'date:mdy',
    );
  });

  it('confirms an assumed order, but an order the file decided is no change', () => {
    expect(typeHintFor(col('day'), choice('day', { order: 'mdy' }))).toBe('date:mdy');
    expect(typeHintFor(col('shipped'), choice('shipped', { order: 'dmy' }))).toBeUndefined();
    expect(typeHintFor(col('shipped'), choice('shipped', { order: 'mdy' }))).toBe('date:mdy');
    expect(typeHintFor(col('price'), choice('price', { mark: 'comma' }))).toBeUndefined();
  });

  it('drops a mark or an order the chosen type does not take', () => {
    expect(typeHintFor(col('price'), choice('price', { type: 'string', mark: 'point' }))).toBe(
      'string',
    );
  });

  it('sends roles apart from types', () => {
    expect(
      reprocessBody(schema.columns, {
        region: choice('region', { role: 'identifier' }),
        day: choice('day', { order: 'dmy' }),
      }),
    ).toEqual({ types: { day: 'date:dmy' }, roles: { region: 'identifier' } });
  });
});
