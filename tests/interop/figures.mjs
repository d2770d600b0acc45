// Our summary (GET .../summary) against one engine's figures of the same version's snapshot
// (peers.mjs). The rules, strict on purpose:
//   rows == summary rows (rejected records are not in the snapshot);
//   nulls == nulls + invalid (a value that broke its column's type is null in the snapshot);
//   integer and decimal sums, minima and maxima equal as exact decimal text (trailing zeros and
//   scale aside); float sums within a relative 1e-9, float extremes within our 10^-9 unit;
//   dates as YYYY-MM-DD; strings byte for byte unless our summary cut them (text_truncated);
//   distinct counts when ours is exact; booleans by their true and false counts; and the file's
//   row-group statistics (as DuckDB reads them) agree with its data.
// A figure our summary withholds (a sum that overflowed, amounts in several currencies) is
// skipped and said so, never guessed.

// Decimal text without a plus sign, leading zeros, trailing fractional zeros or a negative zero:
// "-0010.500" and "-10.5" are the same number. Anything else is returned as is, so it shows.
export function NormDecimal(text) {
  if (text === null || text === undefined) return null;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return String(text);
  const int = m[2].replace(/^0+/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const negative = m[1] === '-' && (int !== '0' || frac !== '');
  return (negative ? '-' : '') + int + (frac ? '.' + frac : '');
}

export function DaysText(days) {
  return days === null ? null : new Date(days * 86_400_000).toISOString().slice(0, 10);
}

// Our summary writes timestamps to the millisecond, and leaves ".000" out.
export function SecondsText(ms) {
  return ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z');
}

// What each of our column types may be in the file: a wide integer column is DECIMAL(38, 0).
const kKinds = {
  string: ['string'], integer: ['integer', 'decimal'], decimal: ['decimal'], float: ['float'],
  boolean: ['boolean'], date: ['date'], timestamp: ['timestamp'],
};

function DecimalScale(type) {
  const m = /^decimal\s*\(\s*(?:precision=)?\d+\s*,\s*(?:scale=)?(\d+)\s*\)$/i.exec(type);
  return m ? Number(m[1]) : null;
}

function FracDigits(text) {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

class Comparison {
  constructor() {
    this.checks = 0;
    this.skipped = [];
    this.mismatches = [];
  }
  expect(column, figure, ours, theirs, equal = (a, b) => a === b) {
    this.checks++;
    if (!equal(ours, theirs)) this.mismatches.push({ column, figure, ours, theirs });
  }
  skip(column, figure, why) {
    this.skipped.push({ column, figure, why });
  }
}

function CheckType(cmp, ours, theirs) {
  cmp.expect(ours.name, 'type', ours.type, `${theirs.type} (${theirs.kind})`, () => kKinds[ours.type]?.includes(theirs.kind) ?? false);
  if (theirs.kind === 'decimal') {
    // The column's scale is the most fractional digits any value has: the digits our summary shows.
    const want = ours.type === 'integer' ? 0 : ours.min !== null ? FracDigits(ours.min) : null;
    if (want !== null) cmp.expect(ours.name, 'decimal scale', want, DecimalScale(theirs.type));
  }
  if (theirs.kind === 'timestamp') {
    // TIMESTAMP(isAdjustedToUTC = true): the engines say so in the type.
    cmp.expect(ours.name, 'timestamp in UTC', true, theirs.type, (_, t) => /TIME ZONE|UTC/i.test(t));
  }
}

function Failed(v) {
  return v !== null && typeof v === 'object' && 'error' in v;
}

function ExactEqual(a, b) {
  return !Failed(b) && NormDecimal(a) === NormDecimal(b);
}

function CheckSum(cmp, ours, theirs) {
  if (!['integer', 'decimal', 'float'].includes(ours.type)) return;
  if (ours.sum_withheld) {
    cmp.skip(ours.name, 'sum', `withheld by our summary (${ours.sum_withheld})`);
    return;
  }
  if (ours.sum === null || theirs.sum === null || Failed(theirs.sum)) {
    cmp.expect(ours.name, 'sum', ours.sum, theirs.sum);
    return;
  }
  if (ours.type !== 'float') {
    cmp.expect(ours.name, 'sum', ours.sum, theirs.sum, ExactEqual);
    return;
  }
  // Ours adds values rounded to 10^-9 exactly, theirs adds doubles: a relative 1e-9, and at
  // least half a unit per value for sums near zero.
  cmp.expect(ours.name, 'sum', ours.sum, theirs.sum, (a, b) => {
    const tolerance = Math.max(1e-9 * Math.abs(Number(b)), ours.values * 5e-10);
    return Math.abs(Number(a) - Number(b)) <= tolerance;
  });
}

function CheckExtremes(cmp, ours, theirs) {
  const both = (equal, show = (v) => v) => {
    cmp.expect(ours.name, 'min', ours.min, show(theirs.min), equal);
    cmp.expect(ours.name, 'max', ours.max, show(theirs.max), equal);
  };
  switch (ours.type) {
    case 'integer':
    case 'decimal':
      // Amounts in several currencies have no single minimum either.
      if (ours.sum_withheld === 'mixed currencies') return cmp.skip(ours.name, 'min/max', 'withheld by our summary (mixed currencies)');
      return both((a, b) => (a === null || b === null ? a === b : ExactEqual(a, b)));
    case 'float':
      // Our extremes are shown rounded to 10^-9: one unit, plus a few ulps for reading the text back.
      return both((a, b) => (a === null || b === null ? a === b : Math.abs(Number(a) - b) <= 1e-9 + 1e-15 * Math.abs(b)));
    case 'string':
      if (ours.text_truncated) return cmp.skip(ours.name, 'min/max', 'text truncated in our summary');
      return both();
    case 'date': return both(undefined, DaysText);
    case 'timestamp': return both(undefined, SecondsText);
    case 'boolean':
      cmp.expect(ours.name, 'true count', ours.true, theirs.trues);
      cmp.expect(ours.name, 'false count', ours.false, theirs.falses);
      return undefined;
    default: return undefined;
  }
}

// The statistics our writer put in the file must describe the data the engine read from it.
// Where some row group has none, the union of the others proves nothing: said, not compared.
function CheckStatistics(cmp, name, st) {
  cmp.expect(name, 'statistics readable as the column type', 0, st.unreadable);
  if (st.withoutNullCount) cmp.skip(name, 'statistics null_count', `not written in ${st.withoutNullCount} row group(s)`);
  else cmp.expect(name, 'statistics null_count', st.nulls, st.data.nulls);
  if (st.withoutMinMax) {
    cmp.skip(name, 'statistics min/max', `not written in ${st.withoutMinMax} row group(s)`);
    return;
  }
  cmp.expect(name, 'statistics min_value', st.min, st.data.min);
  cmp.expect(name, 'statistics max_value', st.max, st.data.max);
}

/// Compares our summary with one engine's figures; returns { checks, skipped, mismatches }.
export function Compare(summary, theirs) {
  const cmp = new Comparison();
  cmp.expect('*', 'rows', summary.rows, theirs.rows);
  cmp.expect('*', 'columns', summary.columns.map((c) => c.name).join(' | '), theirs.columns.map((c) => c.name).join(' | '));
  const byName = new Map(theirs.columns.map((c) => [c.name, c]));
  for (const ours of summary.columns) {
    const t = byName.get(ours.name);
    if (!t) continue;  // reported by the column list above
    if (t.error) {
      cmp.expect(ours.name, 'read', 'readable', `error: ${t.error}`);
      continue;
    }
    CheckType(cmp, ours, t);
    cmp.expect(ours.name, 'nulls (nulls + invalid)', ours.nulls + ours.invalid, t.nulls);
    CheckSum(cmp, ours, t);
    CheckExtremes(cmp, ours, t);
    if (ours.distinct_exact) cmp.expect(ours.name, 'distinct', ours.distinct, t.distinct);
    if (t.statistics) CheckStatistics(cmp, ours.name, t.statistics);
  }
  return cmp;
}
