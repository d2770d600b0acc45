import { describe, expect, it } from 'vitest';
import { parseCsvHeader } from './csvHeader';

describe('parseCsvHeader', () => {
  it('reads the first line only', () => {
    expect(parseCsvHeader('order_date,region,revenue\n2024-01-01,North,1.5\n')).toEqual([
      'order_date',
      'region',
      'revenue',
    ]);
  });

  it('handles quotes, escaped quotes, CRLF and a byte order mark', () => {
    expect(parseCsvHeader('\uFEFF"a, b","say ""hi""",c\r\n1,2,3')).toEqual([
      'a, b',
      'say "hi"',
      'c',
    ]);
  });

  it('drops empty names', () => {
    expect(parseCsvHeader('a,,b')).toEqual(['a', 'b']);
    expect(parseCsvHeader('')).toEqual([]);
  });
});
