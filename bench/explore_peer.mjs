// DuckDB over a Parquet file, for bench/explore_bench.sh: the same questions /query answers,
// timed inside one process (cold: the first run in a fresh database; warm: the best of 5 more),
// and the size of DuckDB's own zstd Parquet copy of the same rows.
//   node explore_peer.mjs FILE.parquet OUT_DIR   (run from a directory with @duckdb/node-api)
import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';

const [file, outDir] = process.argv.slice(2);
const queries = {
  filtered_monthly_trend: `SELECT strftime(order_date, '%Y-%m') AS period, sum(revenue) AS sum_revenue, count(*) AS n
      FROM read_parquet('${file}') WHERE region = 'Europe' AND channel IN ('Online', 'Partner')
      GROUP BY 1 ORDER BY 1`,
  two_column_group_by: `SELECT category, channel, sum(revenue) AS sum_revenue, count(*) AS n
      FROM read_parquet('${file}') WHERE region = 'Europe'
      GROUP BY 1, 2 ORDER BY 3 DESC`,
};
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const out = {};
for (const [name, sql] of Object.entries(queries)) {
  let t = performance.now();
  const first = await conn.runAndReadAll(sql);
  const cold = performance.now() - t;
  let warm = Infinity;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await conn.runAndReadAll(sql);
    warm = Math.min(warm, performance.now() - t);
  }
  out[name] = { cold_ms: Math.round(cold), warm_ms: Math.round(warm), rows: first.getRows().length,
                first: first.getRowObjectsJson()[0] };
}
const copy = `${outDir}/duckdb_zstd.parquet`;
await conn.run(`COPY (SELECT * FROM read_parquet('${file}')) TO '${copy}' (FORMAT parquet, COMPRESSION zstd)`);
out.duckdb_copy_bytes = statSync(copy).size;
out.our_file_bytes = statSync(file).size;
console.log(JSON.stringify(out));
