// Reads every fixture written by write_fixtures with DuckDB and with hyparquet, and compares
// schema, types, row counts, values, NULLs and sums with the manifest.
import { readFileSync } from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

const dir = process.argv[2];
const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
const db = await (await DuckDBInstance.create(":memory:")).connect();
let passed = 0;

async function duck(sql) {
  const reader = await db.runAndReadAll(sql);
  return reader.getRowObjectsJS();
}

for (const [name, want] of Object.entries(manifest)) {
  const file = path.join(dir, name).replaceAll("'", "''");
  // DuckDB
  const [{ n }] = await duck(`SELECT count(*)::BIGINT AS n FROM read_parquet('${file}')`);
  assert.equal(Number(n), want.rows, `${name}: duckdb row count`);
  const meta = await duck(`SELECT count(DISTINCT row_group_id)::BIGINT AS g FROM parquet_metadata('${file}')`);
  assert.equal(Number(meta[0].g), want.row_groups, `${name}: row groups`);
  // hyparquet
  const buf = readFileSync(path.join(dir, name));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = parquetMetadata(ab);
  assert.equal(Number(md.num_rows), want.rows, `${name}: hyparquet num_rows`);
  const rows = await parquetReadObjects({ file: ab, compressors });
  assert.equal(rows.length, want.rows);

  if (want.row_group_rows) {
    const groups = await duck(`SELECT DISTINCT row_group_id::BIGINT AS g, row_group_num_rows::BIGINT AS n
                               FROM parquet_metadata('${file}') ORDER BY g`);
    assert.deepEqual(groups.map((g) => Number(g.n)), want.row_group_rows, `${name}: rows per row group`);
    assert.deepEqual(md.row_groups.map((g) => Number(g.num_rows)), want.row_group_rows, `${name}: hyparquet rows per row group`);
  }

  if (want.generated === "rowgroups") {
    // write_fixtures.cpp's section 3, recomputed row by row.
    const drows = await duck(`SELECT s, u, d, epoch_ns(tn)::VARCHAR AS tn FROM read_parquet('${file}')`);
    for (let i = 0; i < want.rows; i++) {
      const s = i % 7 === 3 ? null : `s-${i % 1000}`;
      const u = `unique-value-${1000000000 + i}`;
      const d = i % 5 === 0 ? null : i * 0.25;
      const tn = 1700000000000000000n + BigInt(i) * 1001n;
      for (const [label, got] of [["duckdb", drows[i]], ["hyparquet", rows[i]]]) {
        if (got.s !== s || got.u !== u || (got.d ?? null) !== d) {
          assert.fail(`${name} ${label} row ${i}: ${JSON.stringify([got.s, got.u, got.d])} vs ${JSON.stringify([s, u, d])}`);
        }
      }
      if (drows[i].tn !== tn.toString()) assert.fail(`${name} duckdb row ${i} tn ${drows[i].tn} vs ${tn}`);
      if (rows[i].tn.getTime() !== Number(tn / 1000000n)) assert.fail(`${name} hyparquet row ${i} tn`);
    }
  } else if (want.all_rows) {
    const desc = await duck(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    assert.deepEqual(desc.map((d) => d.column_name), want.columns, `${name}: columns`);
    assert.deepEqual(desc.map((d) => d.column_type), want.types, `${name}: types`);
    const drows = await duck(`SELECT s, d, epoch_us(t)::BIGINT AS t, all_null_s, all_null_d, epoch_ns(tn)::VARCHAR AS tn FROM read_parquet('${file}')`);
    for (let i = 0; i < want.rows; i++) {
      const [s, d, t, , , tn] = want.all_rows[i];
      for (const [label, got] of [["duckdb", drows[i]], ["hyparquet", rows[i]]]) {
        assert.equal(got.s, s, `${name} ${label} row ${i} s`);
        assert.equal(got.d ?? null, d, `${name} ${label} row ${i} d`);
        assert.equal(got.all_null_s ?? null, null);
        assert.equal(got.all_null_d ?? null, null);
      }
      assert.equal(Number(drows[i].t), t, `${name} duckdb row ${i} t`);
      assert.equal(rows[i].t.getTime() * 1000, t, `${name} hyparquet row ${i} t`);
      // Naive NANOS: DuckDB keeps every digit; hyparquet gives a Date (milliseconds).
      assert.equal(drows[i].tn, tn, `${name} duckdb row ${i} tn`);
      assert.equal(rows[i].tn.getTime(), Number(BigInt(tn) / 1000000n), `${name} hyparquet row ${i} tn`);
    }
    // Statistics agree with the data (DuckDB reads them from the footer).
    const stats = await duck(`SELECT path_in_schema AS c, stats_min_value AS mn, stats_max_value AS mx, stats_null_count::BIGINT AS nulls
                              FROM parquet_metadata('${file}') WHERE row_group_id = 0`);
    const d0 = stats.find((r) => r.c === "d");
    assert.ok(d0 && Number(d0.nulls) >= 0);
    const ns = stats.find((r) => r.c === "all_null_s");
    assert.equal(ns.mn, null);
  } else {
    const [agg] = await duck(`SELECT sum(totalcost) AS s, count(*) - count(cpuefficiency) AS nulls,
                                     count(DISTINCT namespace)::BIGINT AS dn, count(DISTINCT pod)::BIGINT AS dp
                              FROM read_parquet('${file}')`);
    assert.ok(Math.abs(agg.s - want.sum_totalcost) <= 1e-9 * Math.abs(want.sum_totalcost), `${name}: duckdb sum ${agg.s} vs ${want.sum_totalcost}`);
    assert.equal(Number(agg.nulls), want.nulls_cpuefficiency);
    assert.equal(Number(agg.dn), want.distinct_namespace);
    assert.equal(Number(agg.dp), want.distinct_pod);
    let hs = 0, hn = 0;
    for (const r of rows) {
      hs += r.totalcost;
      if (r.cpuefficiency === null || r.cpuefficiency === undefined) hn++;
    }
    assert.ok(Math.abs(hs - want.sum_totalcost) <= 1e-9 * Math.abs(want.sum_totalcost), `${name}: hyparquet sum`);
    assert.equal(hn, want.nulls_cpuefficiency);
  }
  passed++;
  console.log(`ok ${name}: duckdb and hyparquet agree with the manifest`);
}
console.log(`parquet readers: ${passed} passed, 0 failed`);
