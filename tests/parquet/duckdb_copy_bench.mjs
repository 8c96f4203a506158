// DuckDB's own Parquet writer on the same rows: load our file into a table, then time
// COPY ... TO (FORMAT parquet, COMPRESSION snappy|zstd) and report time and size.
import { statSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

const dir = process.argv[2];
const db = await (await DuckDBInstance.create(":memory:", { threads: "1" })).connect();
await db.run(`CREATE TABLE day AS SELECT * FROM read_parquet('${path.join(dir, "day.snappy.parquet")}')`);
const [{ n }] = (await db.runAndReadAll("SELECT count(*)::BIGINT AS n FROM day")).getRowObjectsJS();
for (const codec of ["snappy", "zstd"]) {
  const out = path.join(dir, `duckdb.${codec}.parquet`);
  const t0 = process.hrtime.bigint();
  await db.run(`COPY day TO '${out}' (FORMAT parquet, COMPRESSION ${codec})`);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = statSync(out).size;
  console.log(`duckdb ${codec} (1 thread): rows=${n} seconds=${secs.toFixed(3)} rows_per_s=${Math.round(Number(n) / secs)} bytes=${bytes} bytes_per_row=${(bytes / Number(n)).toFixed(2)}`);
}
const db4 = await (await DuckDBInstance.create(":memory:")).connect();
await db4.run(`CREATE TABLE day AS SELECT * FROM read_parquet('${path.join(dir, "day.snappy.parquet")}')`);
const t0 = process.hrtime.bigint();
await db4.run(`COPY day TO '${path.join(dir, "duckdb.mt.parquet")}' (FORMAT parquet, COMPRESSION snappy)`);
console.log(`duckdb snappy (all cores): seconds=${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3)}`);
