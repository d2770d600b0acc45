// The figures two engines nobody here wrote compute from one of our Parquet snapshots: DuckDB
// (read_parquet) and Polars (readParquet). Both answer in one shape, per column:
//   { name, type, kind, nulls, distinct, sum, min, max, trues, falses[, statistics] }
// where kind is what the file's own type says (string integer decimal float boolean date
// timestamp), exact numbers are decimal text (never a JS double), floats are numbers, dates are
// days since 1970-01-01 and timestamps milliseconds since the epoch. A figure an engine could
// not compute is { error: message }, so the comparison reports it instead of the run dying.
// DuckDB also reads the file's row-group statistics (DuckDbStatistics).
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';

const Ident = (name) => '"' + name.replaceAll('"', '""') + '"';
const Literal = (text) => "'" + text.replaceAll("'", "''") + "'";
const Num = (v) => (v === null || v === undefined ? null : Number(v));

function DuckDbKind(type) {
  if (type === 'VARCHAR') return 'string';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U(TINY|SMALL|BIG)?INT(EGER)?)$/.test(type)) return 'integer';
  if (type.startsWith('DECIMAL')) return 'decimal';
  if (type === 'DOUBLE' || type === 'FLOAT') return 'float';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  return 'other';
}

// The select list of one column's figures (besides nulls and distinct) for its kind. Sums are
// asked for separately: an exact sum that overflows is an error in DuckDB, and it must not hide
// the other figures.
function DuckDbExtremes(kind, c) {
  switch (kind) {
    case 'integer': case 'decimal': return `min(${c})::VARCHAR AS mn, max(${c})::VARCHAR AS mx`;
    case 'float': case 'string': return `min(${c}) AS mn, max(${c}) AS mx`;
    // Days and milliseconds, not the engine's text: no session time zone or locale in between.
    case 'date': return `date_diff('day', DATE '1970-01-01', min(${c})) AS mn, date_diff('day', DATE '1970-01-01', max(${c})) AS mx`;
    case 'timestamp': return `epoch_ms(min(${c})) AS mn, epoch_ms(max(${c})) AS mx`;
    case 'boolean': return `count_if(${c}) AS trues, count_if(NOT ${c}) AS falses`;
    default: return 'NULL AS mn, NULL AS mx';
  }
}

// SUM of BIGINT is a HUGEINT and SUM of DECIMAL a DECIMAL(38): both exact. Doubles are added
// with Kahan's compensation (fsum), the closest a double sum gets to our exact one.
function DuckDbSum(kind, c) {
  if (kind === 'integer' || kind === 'decimal') return `sum(${c})::VARCHAR AS s`;
  if (kind === 'float') return `fsum(${c}) AS s`;
  return null;
}

// The file's own statistics of a column (over its row groups: null counts added, the least
// minimum, the greatest maximum), read back as the column's type, next to what the data holds.
// Engines skip row groups by these statistics, so a wrong one loses rows from a filtered query
// while every aggregate above stays right. Statistics are optional (ours leaves out long
// strings): the row groups without them are counted, so the comparison can tell absent from wrong.
async function DuckDbStatistics(one, path, index, type, c) {
  const typed = (field) => `TRY_CAST(${field} AS ${type})`;
  const s = await one(`SELECT coalesce(sum(stats_null_count), 0) AS nulls, min(${typed('stats_min_value')})::VARCHAR AS mn,
      max(${typed('stats_max_value')})::VARCHAR AS mx,
      count(*) FILTER (WHERE stats_null_count IS NULL) AS no_null_count,
      count(*) FILTER (WHERE (stats_min_value IS NULL OR stats_max_value IS NULL)
                         AND coalesce(stats_null_count, -1) < num_values) AS no_min_max,
      count(*) FILTER (WHERE (stats_min_value IS NOT NULL AND ${typed('stats_min_value')} IS NULL)
                          OR (stats_max_value IS NOT NULL AND ${typed('stats_max_value')} IS NULL)) AS unreadable
    FROM parquet_metadata(${Literal(path)}) WHERE column_id = ${index}`);
  const d = await one(`SELECT count(*) - count(${c}) AS nulls, min(${c})::VARCHAR AS mn, max(${c})::VARCHAR AS mx FROM t`);
  return {
    nulls: Num(s.nulls), min: s.mn, max: s.mx, unreadable: Num(s.unreadable),
    withoutNullCount: Num(s.no_null_count), withoutMinMax: Num(s.no_min_max),
    data: { nulls: Num(d.nulls), min: d.mn, max: d.mx },
  };
}

export async function DuckDbFigures(path) {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const one = async (sql) => (await con.runAndReadAll(sql)).getRowObjects()[0];
    await con.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${Literal(path)})`);
    const schema = (await con.runAndReadAll('DESCRIBE t')).getRowObjects();
    const rows = Num((await one('SELECT count(*) AS n FROM t')).n);
    const rowGroups = Num((await one(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${Literal(path)})`)).n);
    const columns = [];
    for (const [index, { column_name: name, column_type: type }] of schema.entries()) {
      const kind = DuckDbKind(type);
      const c = Ident(name);
      const r = await one(`SELECT count(*) - count(${c}) AS nulls, count(DISTINCT ${c}) AS d, ${DuckDbExtremes(kind, c)} FROM t`);
      const fig = { name, type, kind, nulls: Num(r.nulls), distinct: Num(r.d), min: Norm(kind, r.mn), max: Norm(kind, r.mx) };
      if (kind === 'boolean') Object.assign(fig, { trues: Num(r.trues), falses: Num(r.falses) });
      const sum = DuckDbSum(kind, c);
      if (sum) {
        try {
          fig.sum = Norm(kind, (await one(`SELECT ${sum} FROM t`)).s);
        } catch (e) {
          fig.sum = { error: e.message.split('\n')[0] };
        }
      }
      fig.statistics = await DuckDbStatistics(one, path, index, type, c);
      columns.push(fig);
    }
    return { rows, rowGroups, columns };
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

// Days and milliseconds come back as BIGINT (a JS bigint); they fit a double exactly.
function Norm(kind, v) {
  if (v === null || v === undefined) return null;
  if (kind === 'date' || kind === 'timestamp') return Number(v);
  return v;
}

function PolarsKind(dtype) {
  if (/^(String|Utf8)/.test(dtype)) return 'string';
  if (/^U?Int\d+/.test(dtype)) return 'integer';
  if (dtype.startsWith('Decimal')) return 'decimal';
  if (dtype.startsWith('Float')) return 'float';
  if (dtype === 'Bool' || dtype === 'Boolean') return 'boolean';
  if (dtype === 'Date') return 'date';
  if (dtype.startsWith('Datetime')) return 'timestamp';
  return 'other';
}

// Polars' own figures for one column, as expressions. Exact numbers leave Polars as text:
// an Int64 sum is taken as Decimal(38, 0) (Int64 addition would wrap), a Decimal sum stays one.
function PolarsExprs(kind, name) {
  const col = pl.col(name);
  const text = (e) => e.cast(pl.Utf8);
  const exprs = [col.nullCount().alias('nulls'), col.dropNulls().nUnique().alias('d')];
  switch (kind) {
    case 'integer':
      exprs.push(text(col.min()).alias('mn'), text(col.max()).alias('mx'), text(col.cast(pl.Decimal(38, 0)).sum()).alias('s'));
      break;
    case 'decimal':
      exprs.push(text(col.min()).alias('mn'), text(col.max()).alias('mx'), text(col.sum()).alias('s'));
      break;
    case 'float':
      exprs.push(col.min().alias('mn'), col.max().alias('mx'), col.sum().alias('s'));
      break;
    case 'string':
      exprs.push(col.min().alias('mn'), col.max().alias('mx'));
      break;
    case 'date':
      exprs.push(col.min().cast(pl.Int32).alias('mn'), col.max().cast(pl.Int32).alias('mx'));
      break;
    case 'timestamp':
      exprs.push(text(col.min().cast(pl.Int64)).alias('mn'), text(col.max().cast(pl.Int64)).alias('mx'));
      break;
    case 'boolean':
      exprs.push(col.cast(pl.Int64).sum().alias('trues'), col.not().cast(pl.Int64).sum().alias('falses'));
      break;
  }
  return exprs;
}

export function PolarsFigures(path) {
  const df = pl.readParquet(path);
  const rows = df.height;
  const columns = df.columns.map((name, i) => {
    const type = String(df.dtypes[i]).replace(/^DataType\((.*)\)$/, '$1');
    const kind = PolarsKind(type);
    let r;
    try {
      r = df.select(...PolarsExprs(kind, name)).toRecords()[0];
    } catch (e) {
      return { name, type, kind, error: e.message.split('\n')[0] };
    }
    const fig = { name, type, kind, nulls: Num(r.nulls), distinct: Num(r.d), min: Norm(kind, r.mn), max: Norm(kind, r.mx) };
    if ('s' in r) fig.sum = r.s;
    if (kind === 'boolean') Object.assign(fig, { trues: Num(r.trues), falses: Num(r.falses) });
    // Polars sums an all-null column to 0 where SQL (and our summary) says there is no sum.
    if (fig.nulls === rows && 'sum' in fig) fig.sum = null;
    return fig;
  });
  return { rows, columns };
}
