// Reads every object s3-export uploaded with DuckDB and hyparquet and compares schema, types,
// row counts, the sums of every cost column (1e-9 relative), NULLs and unicode/quoted labels
// with the stand-in Kubecost's own numbers (expectations.json).
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

const dir = process.argv[2];
const { files, label_value } = JSON.parse(readFileSync(path.join(dir, "expectations.json"), "utf8"));
const db = await (await DuckDBInstance.create(":memory:")).connect();
const duck = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS();
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12);
let passed = 0;
for (const [name, want] of Object.entries(files)) {
  const file = path.join(dir, name).replaceAll("'", "''");
  const desc = await duck(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
  const types = Object.fromEntries(desc.map((d) => [d.column_name, d.column_type]));
  assert.equal(types["name"], "VARCHAR");
  // Naive (isAdjustedToUTC=false) NANOS, as pandas 2.1 + pyarrow 14 write AWS's files
  // (datetime64[ns], Parquet format 2.6): no reader shifts the day, every digit kept.
  assert.equal(types["window.start"], "TIMESTAMP_NS");
  assert.equal(types["window.end"], "TIMESTAMP_NS");
  const units = await duck(`SELECT name, logical_type::VARCHAR AS l, converted_type::VARCHAR AS c FROM parquet_schema('${file}') WHERE name LIKE 'window.%'`);
  assert.equal(units.length, 2);
  for (const u of units) {
    assert.match(u.l, /isAdjustedToUTC=0/, `${name}: ${u.name} ${u.l}`);
    assert.match(u.l, /NANOS=NanoSeconds\(\)/, `${name}: ${u.name} ${u.l}`);
    assert.equal(u.c, null, `${name}: ${u.name} has no converted type (none exists for NANOS)`);
  }
  assert.equal(types["totalCost"], "DOUBLE");
  // AWS's physical column names (Kubecost's camelCase fields), not Glue's lower-cased ones.
  for (const c of ["cpuCores", "ramByteHours", "loadBalancerCostAdjustment", "properties.eksClusterName",
    "properties.controllerKind", "properties.providerID", "properties.clusterid", "properties.node_capacity_type"]) {
    assert.ok(c in types, `${name}: column ${c}`);
  }
  assert.equal(types["properties.node_capacity_type"], "VARCHAR");
  assert.equal(types["properties.labels.app.kubernetes.io/name"], "VARCHAR");
  assert.equal(types["properties.annotations.owner"], "VARCHAR");
  const [{ n }] = await duck(`SELECT count(*)::BIGINT AS n FROM read_parquet('${file}')`);
  assert.equal(Number(n), want.rows, `${name}: rows`);
  const buf = readFileSync(path.join(dir, name));
  const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors });
  assert.equal(rows.length, want.rows);
  for (const [col, sum] of Object.entries(want.sums)) {
    const [{ s }] = await duck(`SELECT sum("${col}") AS s FROM read_parquet('${file}')`);
    assert.ok(close(s ?? 0, sum), `${name}: duckdb sum(${col}) ${s} vs ${sum}`);
    const hs = rows.reduce((acc, r) => acc + (r[col] ?? 0), 0);
    assert.ok(close(hs, sum), `${name}: hyparquet sum(${col}) ${hs} vs ${sum}`);
  }
  for (const [col, nulls] of Object.entries(want.nulls)) {
    const [{ k }] = await duck(`SELECT (count(*) - count("${col}"))::BIGINT AS k FROM read_parquet('${file}')`);
    assert.equal(Number(k), nulls, `${name}: NULLs in ${col}`);
    assert.equal(rows.filter((r) => r[col] === null || r[col] === undefined).length, nulls);
  }
  const labels = await duck(`SELECT DISTINCT "properties.labels.app.kubernetes.io/name" AS l FROM read_parquet('${file}')`);
  assert.ok(labels.some((r) => r.l === label_value), `${name}: label ${JSON.stringify(label_value)} survived (duckdb)`);
  assert.ok(rows.some((r) => r["properties.labels.app.kubernetes.io/name"] === label_value), `${name}: label (hyparquet)`);
  assert.ok(rows.some((r) => r["properties.labels.team"] === "🙂 team"));
  // The day does not shift in another time zone (the caller also sets TZ=America/Los_Angeles).
  const day = path.basename(name).split("__").pop().slice(0, 10);
  await duck(`SET TimeZone = 'America/Los_Angeles'`);
  const [{ first, last }] = await duck(`SELECT strftime(min("window.start"), '%Y-%m-%d %H:%M') AS first, strftime(max("window.end"), '%Y-%m-%d %H:%M') AS last FROM read_parquet('${file}')`);
  assert.equal(first, `${day} 00:00`, `${name}: first window.start in America/Los_Angeles`);
  assert.ok(last.endsWith(" 00:00") && last > day, `${name}: last window.end ${last}`);
  assert.ok(rows.every((r) => r["window.start"].toISOString().startsWith(day)), `${name}: hyparquet day`);
  // Strings without a value are "" (AWS's fillna("")), never NULL: idle rows have no container.
  const [{ nulls, blanks }] = await duck(`SELECT (count(*) - count("properties.container"))::BIGINT AS nulls, count(*) FILTER (WHERE "properties.container" = '')::BIGINT AS blanks FROM read_parquet('${file}')`);
  assert.equal(Number(nulls), 0, `${name}: NULL strings`);
  assert.ok(Number(blanks) > 0, `${name}: "" strings`);
  // The node label's own value (EKS SPOT / ON_DEMAND), as AWS writes it.
  const spot = await duck(`SELECT count(*)::BIGINT AS c FROM read_parquet('${file}') WHERE "properties.node_capacity_type" = 'SPOT' AND "properties.node_instance_type" = 'c6g.xlarge'`);
  assert.ok(Number(spot[0].c) > 0, `${name}: node facts joined`);
  passed++;
}
console.log(`s3 objects read back: ${passed} passed, 0 failed`);
