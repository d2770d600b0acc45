import { describe, expect, it } from 'vitest';
import type { Filter } from './filters';
import {
  decodeFilter,
  encodeFilter,
  readExplore,
  readFilterState,
  writeExplore,
  writeFilterState,
  type ExploreSettings,
} from './urlState';

const roundTrip = (filter: Filter) => decodeFilter(encodeFilter(filter));

describe('filters in the URL', () => {
  it('writes column, operator and values in a short readable form', () => {
    expect(encodeFilter({ column: 'region', op: 'eq', values: ['East'] })).toBe('region:eq:East');
    expect(encodeFilter({ column: 'channel', op: 'in', values: ['Online', 'Partner'] })).toBe(
      'channel:in:Online,Partner',
    );
    expect(encodeFilter({ column: 'region', op: 'is_null', values: [] })).toBe('region:is_null');
    expect(
      encodeFilter({ column: 'order_date', op: 'between', values: ['2024-01-01', '2024-12-31'] }),
    ).toBe('order_date:between:2024-01-01,2024-12-31');
  });

  it('escapes the separators, so any column name or value comes back as it was', () => {
    const tricky: Filter = {
      column: 'a:b,c%d',
      op: 'in',
      values: ['x,y', 'p:q', '100%', '%2C', 'Zürich 東京', ''],
    };
    expect(encodeFilter(tricky)).toBe('a%3Ab%2Cc%25d:in:x%2Cy,p%3Aq,100%25,%252C,Zürich 東京,');
    expect(roundTrip(tricky)).toEqual(tricky);
    expect(roundTrip({ column: 'note', op: 'eq', values: [''] })).toEqual({
      column: 'note',
      op: 'eq',
      values: [''],
    });
    expect(roundTrip({ column: 'note', op: 'contains', values: ['a:b'] })).toEqual({
      column: 'note',
      op: 'contains',
      values: ['a:b'],
    });
  });

  it('drops what is not a filter: unknown operators, a missing column, the wrong number of values', () => {
    expect(decodeFilter('region:like:East')).toBeNull();
    expect(decodeFilter(':eq:East')).toBeNull();
    expect(decodeFilter('region')).toBeNull();
    expect(decodeFilter('region:eq')).toBeNull();
    expect(decodeFilter('region:eq:a,b')).toBeNull();
    expect(decodeFilter('day:between:2024-01-01')).toBeNull();
    expect(decodeFilter('region:in')).toBeNull();
    expect(decodeFilter('region:eq:a:b')).toBeNull();
    // No value needed: extra ones are ignored.
    expect(decodeFilter('region:not_null:x')).toEqual({
      column: 'region',
      op: 'not_null',
      values: [],
    });
  });

  it('reads chips, the drill-down path (in order) and the date range', () => {
    const params = new URLSearchParams(
      'f=channel%3Ain%3AOnline%2CPartner&d=region%3Aeq%3AEast&d=category%3Ais_null&from=2024-01-01&to=nonsense&f=bad',
    );
    expect(readFilterState(params)).toEqual({
      filters: [{ column: 'channel', op: 'in', values: ['Online', 'Partner'] }],
      drill: [
        { column: 'region', op: 'eq', values: ['East'] },
        { column: 'category', op: 'is_null', values: [] },
      ],
      range: { from: '2024-01-01' },
    });
  });

  it('writes the filter state and keeps every other key of the query string', () => {
    const before = new URLSearchParams('g.by=channel&f=old%3Aeq%3A1&x.m=count&from=2020-01-01');
    const after = writeFilterState(before, {
      filters: [{ column: 'region', op: 'ne', values: ['North'] }],
      drill: [{ column: 'channel', op: 'eq', values: ['Online'] }],
      range: { to: '2024-06-30' },
    });
    expect(after.toString()).toBe(
      'g.by=channel&x.m=count&f=region%3Ane%3ANorth&d=channel%3Aeq%3AOnline&to=2024-06-30',
    );
    expect(before.get('f')).toBe('old:eq:1'); // a copy; the original is untouched
    expect(readFilterState(after).drill).toEqual([
      { column: 'channel', op: 'eq', values: ['Online'] },
    ]);
    expect(writeFilterState(after, { filters: [], drill: [], range: {} }).toString()).toBe(
      'g.by=channel&x.m=count',
    );
  });
});

describe("Explore's settings in the URL", () => {
  const settings: ExploreSettings = {
    groupBy: ['region', 'channel'],
    time: { column: 'order_date', interval: 'quarter' },
    measures: [{ agg: 'sum', column: 'revenue' }, { agg: 'count' }, { agg: 'p95', column: 'a:b' }],
    sort: { by: 'sum_revenue', desc: true },
    limit: 1000,
  };

  it('round-trips every setting', () => {
    const params = writeExplore(new URLSearchParams('f=region%3Aeq%3AEast'), settings);
    expect(params.getAll('x.by')).toEqual(['region', 'channel']);
    expect(params.get('x.time')).toBe('order_date:quarter');
    expect(params.getAll('x.m')).toEqual(['sum:revenue', 'count', 'p95:a%3Ab']);
    expect(params.get('x.sort')).toBe('-sum_revenue');
    expect(params.get('f')).toBe('region:eq:East');
    expect(readExplore(params)).toEqual(settings);
  });

  it('has no settings (the defaults apply) until a measure is in the URL', () => {
    expect(readExplore(new URLSearchParams('x.by=region'))).toBeNull();
    expect(readExplore(new URLSearchParams('x.m=median:revenue'))).toBeNull();
  });

  it('reads no group, no time bucket and an ascending order as such', () => {
    const params = writeExplore(new URLSearchParams(), {
      groupBy: [],
      time: null,
      measures: [{ agg: 'count' }],
      sort: { by: 'count', desc: false },
      limit: 10,
    });
    expect(params.toString()).toBe('x.m=count&x.sort=count&x.n=10');
    expect(readExplore(params)).toEqual({
      groupBy: [],
      time: null,
      measures: [{ agg: 'count' }],
      sort: { by: 'count', desc: false },
      limit: 10,
    });
  });

  it('keeps what it can of a hand-edited URL', () => {
    const read = readExplore(
      new URLSearchParams(
        'x.m=sum&x.m=avg:revenue&x.by=a&x.by=b&x.by=c&x.time=day:fortnight&x.n=0&x.sort=-',
      ),
    );
    expect(read).toEqual({
      groupBy: ['a', 'b'],
      time: null,
      // "sum" without a column is no measure; a count may go without one.
      measures: [{ agg: 'avg', column: 'revenue' }],
      sort: null,
      limit: 100,
    });
  });
});
