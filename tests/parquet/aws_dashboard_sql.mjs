// AWS's Athena view and QuickSight dataset, run in DuckDB over the objects s3-export uploaded,
// laid out as in the bucket (account_id=/region=/year=/month= Hive partitions).
//
// 1. The Glue table: deploy/athena/kubecost_table.sql's own column list (plus one
//    properties.labels.<key> / properties.annotations.<key> string column per key, as AWS's
//    Terraform adds them, modules/pipeline/main.tf aws_glue_catalog_table.kubecost), each column
//    checked against every file first: Athena's Parquet reader maps columns by name and refuses a
//    physical type that does not fit the declared one, so no silent cast is allowed here either.
// 2. The view: deploy/athena/kubecost_view.sql as it is (AWS: modules/pipeline/locals.tf
//    athena_view_sql), also with 0 months of retention, which must keep nothing.
// 3. The QuickSight dataset cca_kubecost_view (AWS: cid/containers_cost_allocation.yaml at
//    8a581332): every InputColumn with its QuickSight type, the CreateColumnsOperation
//    region_code = ifelse(isNotNull({properties.region}), {properties.region}, region), and the
//    ProjectOperation's columns.
// 4. deploy/athena/example_cost_by_namespace.sql for each month present.
// Every figure is compared with the stand-in Kubecost's own numbers (expectations.json).
//
// Usage: node aws_dashboard_sql.mjs BUCKET_DIR EXPECTATIONS_JSON DEPLOY_ATHENA_DIR LABELS ANNOTATIONS
import { readFileSync } from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";

const [bucket, expectationsFile, athenaDir, labelList, annotationList] = process.argv.slice(2);
const { files, account, region } = JSON.parse(readFileSync(expectationsFile, "utf8"));
const db = await (await DuckDBInstance.create(":memory:")).connect();
const duck = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS();
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12);
const near = (a, b, rounded) => Math.abs(a - b) <= 5e-5 * rounded; // each group is round(x, 4)
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const ident = (s) => `"${s.replaceAll('"', '""')}"`;

// 1. The Glue table, from our DDL.
const ddl = readFileSync(path.join(athenaDir, "kubecost_table.sql"), "utf8");
const body = ddl.slice(ddl.indexOf("kubecost_cca.kubecost_table ("), ddl.indexOf("PARTITIONED BY"));
const columns = [...body.matchAll(/^\s*`([^`]+)`\s+(\w+),?\s*$/gm)].map((m) => ({ name: m[1], hive: m[2] }));
assert.ok(columns.length >= 58, `columns parsed from kubecost_table.sql: ${columns.length}`);
for (const key of labelList.split(",").filter(Boolean)) columns.push({ name: `properties.labels.${key}`, hive: "string" });
for (const key of annotationList.split(",").filter(Boolean)) columns.push({ name: `properties.annotations.${key}`, hive: "string" });
const partitions = [...ddl.match(/PARTITIONED BY \(([^)]*)\)/)[1].matchAll(/`([^`]+)`\s+(\w+)/g)].map((m) => m[1]);
assert.deepEqual(partitions, ["account_id", "region", "year", "month"]);
// Hive type -> the DuckDB types a Parquet column of it may have (naive timestamps only: the
// table's timestamp is a wall-clock time, as AWS's files hold it).
const fits = { string: ["VARCHAR"], double: ["DOUBLE"], timestamp: ["TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS"] };
const duckType = { string: "VARCHAR", double: "DOUBLE", timestamp: "TIMESTAMP" };
const glob = path.join(bucket, "**", "*.parquet");
for (const name of Object.keys(files)) {
  const file = quote(path.join(bucket, name));
  // Athena's Hive connector matches Glue's lower-cased names to the file's names case-blind.
  const have = Object.fromEntries((await duck(`DESCRIBE SELECT * FROM read_parquet(${file})`)).map((d) => [d.column_name.toLowerCase(), d.column_type]));
  for (const c of columns) {
    assert.ok(c.name in have, `${name}: Glue column ${c.name} is missing`);
    assert.ok(fits[c.hive].includes(have[c.name]), `${name}: ${c.name} is ${have[c.name]}, the table declares ${c.hive}`);
  }
}
const hiveTypes = partitions.map((p) => `${quote(p)}: VARCHAR`).join(", ");
await duck(`CREATE SCHEMA kubecost_cca`);
await duck(`CREATE VIEW kubecost_cca.kubecost_table AS SELECT
  ${columns.map((c) => `CAST(${ident(c.name)} AS ${duckType[c.hive]}) AS ${ident(c.name)}`).join(",\n  ")},
  ${partitions.map(ident).join(", ")}
  FROM read_parquet(${quote(glob)}, hive_partitioning = true, hive_types = {${hiveTypes}})`);

const wantRows = Object.values(files).reduce((n, f) => n + f.rows, 0);
const wantTotal = Object.values(files).reduce((n, f) => n + f.sums.totalCost, 0);
const [{ n: tableRows }] = await duck(`SELECT count(*)::BIGINT AS n FROM kubecost_cca.kubecost_table`);
assert.equal(Number(tableRows), wantRows, "rows in the table");

// 2. The view, as shipped, then with no retention.
const viewSql = readFileSync(path.join(athenaDir, "kubecost_view.sql"), "utf8").trim().replace(/;$/, "");
assert.match(viewSql, /INTERVAL '6' MONTH/);
await duck(viewSql);
const [{ n: viewRows, s: viewTotal }] = await duck(`SELECT count(*)::BIGINT AS n, sum(totalcost) AS s FROM kubecost_cca.kubecost_view`);
assert.equal(Number(viewRows), wantRows, "rows in the view (6 months kept)");
assert.ok(close(viewTotal, wantTotal), `view totalcost ${viewTotal} vs ${wantTotal}`);
await duck(viewSql.replace("INTERVAL '6' MONTH", "INTERVAL '0' MONTH"));
const [{ n: noneKept }] = await duck(`SELECT count(*)::BIGINT AS n FROM kubecost_cca.kubecost_view`);
assert.equal(Number(noneKept), 0, "0 months of retention keeps no settled day");
await duck(viewSql);

// 3. The QuickSight dataset's physical table: its InputColumns and their QuickSight types.
const input = [
  ["name", "STRING"], ["window.start", "DATETIME"], ["window.end", "DATETIME"],
  ...["minutes", "cpucores", "cpucorerequestaverage", "cpucoreusageaverage", "cpucorehours", "cpucost",
    "cpucostadjustment", "cpuefficiency", "gpucount", "gpuhours", "gpucost", "gpucostadjustment",
    "networktransferbytes", "networkreceivebytes", "networkcost", "networkcrosszonecost",
    "networkcrossregioncost", "networkinternetcost", "networkcostadjustment", "loadbalancercost",
    "loadbalancercostadjustment", "pvbytes", "pvbytehours", "pvcost", "pvcostadjustment", "rambytes",
    "rambyterequestaverage", "rambyteusageaverage", "rambytehours", "ramcost", "ramcostadjustment",
    "ramefficiency", "sharedcost", "externalcost", "totalcost", "totalefficiency"].map((c) => [c, "DECIMAL"]),
  ...["provider", "region", "cluster", "clusterid", "eksclustername", "container", "namespace", "pod", "node",
    "node_instance_type", "node_availability_zone", "node_capacity_type", "node_architecture", "node_os",
    "node_nodegroup", "node_nodegroup_image", "controller", "controllerkind", "providerid"].map((c) => [`properties.${c}`, "STRING"]),
  ["account_id", "STRING"], ["region", "STRING"], ["year", "STRING"], ["month", "STRING"],
];
assert.equal(input.length, 62);
const quicksight = { STRING: "VARCHAR", DATETIME: "TIMESTAMP", DECIMAL: "DOUBLE" };
const dataset = `SELECT ${input.map(([c]) => ident(c)).join(", ")},
  CASE WHEN "properties.region" IS NOT NULL THEN "properties.region" ELSE region END AS region_code
  FROM kubecost_cca.kubecost_view`;
const described = await duck(`DESCRIBE ${dataset}`);
assert.equal(described.length, input.length + 1, "ProjectedColumns: the input columns and region_code");
for (const [i, [c, t]] of input.entries()) {
  assert.equal(described[i].column_name, c);
  assert.equal(described[i].column_type, quicksight[t], `${c}: ${described[i].column_type} for QuickSight ${t}`);
}
const [ds] = await duck(`SELECT count(*)::BIGINT AS n,
    count(*) FILTER (WHERE region_code IS DISTINCT FROM ${quote(region)})::BIGINT AS bad_region,
    count(*) FILTER (WHERE account_id <> ${quote(account)})::BIGINT AS bad_account,
    count(*) FILTER (WHERE year <> strftime("window.start", '%Y') OR month <> strftime("window.start", '%m'))::BIGINT AS bad_partition,
    count(*) FILTER (WHERE "window.end" <= "window.start")::BIGINT AS bad_window,
    sum(totalcost) AS total
  FROM (${dataset})`);
assert.equal(Number(ds.n), wantRows, "dataset rows");
assert.equal(Number(ds.bad_region), 0, `region_code is the cluster's region ${region}`);
assert.equal(Number(ds.bad_account), 0, "account_id partition");
assert.equal(Number(ds.bad_partition), 0, "year/month partitions agree with window.start");
assert.equal(Number(ds.bad_window), 0, "window.end after window.start");
assert.ok(close(ds.total, wantTotal), `dataset totalcost ${ds.total} vs ${wantTotal}`);
for (const [name, want] of Object.entries(files)) {
  const day = path.basename(name).slice(0, 10);
  const [{ s, n }] = await duck(`SELECT sum(totalcost) AS s, count(*)::BIGINT AS n FROM (${dataset})
    WHERE strftime("window.start", '%Y-%m-%d') = ${quote(day)}`);
  assert.equal(Number(n), want.rows, `${day}: rows`);
  assert.ok(close(s, want.sums.totalCost), `${day}: totalcost ${s} vs ${want.sums.totalCost}`);
}

// 4. The example query, one month at a time, against the stand-in's totals.
const example = readFileSync(path.join(athenaDir, "example_cost_by_namespace.sql"), "utf8").trim().replace(/;$/, "");
const months = new Set(Object.keys(files).map((k) => path.basename(k).slice(0, 7)));
let checked = 0;
for (const ym of months) {
  const sql = example
    .replace("account_id = '111122223333'", `account_id = ${quote(account)}`)
    .replace("region = 'us-east-1'", `region = ${quote(region)}`)
    .replace("year = '2026'", `year = ${quote(ym.slice(0, 4))}`)
    .replace("month = '11'", `month = ${quote(ym.slice(5, 7))}`);
  const rows = await duck(sql);
  for (const [name, want] of Object.entries(files)) {
    const day = path.basename(name).slice(0, 10);
    if (!day.startsWith(ym)) continue;
    const mine = rows.filter((r) => new Date(r.day).toISOString().startsWith(day));
    assert.deepEqual(new Set(mine.map((r) => r.namespace)), new Set(Object.keys(want.namespaces)), `${day}: namespaces`);
    for (const [ns, total] of Object.entries(want.namespaces)) {
      const groups = mine.filter((r) => r.namespace === ns);
      const got = groups.reduce((a, r) => a + r.total_cost, 0);
      assert.ok(near(got, total, groups.length), `${day} ${ns}: ${got} vs ${total}`);
    }
    const spot = mine.reduce((a, r) => a + (r.spot_cost ?? 0), 0);
    assert.ok(near(spot, want.spot, mine.length), `${day}: spot ${spot} vs ${want.spot}`);
    checked++;
  }
}
assert.equal(checked, Object.keys(files).length);
console.log(`aws dashboard sql: ${columns.length} Glue columns fit ${Object.keys(files).length} files; ` +
  `view ${Number(viewRows)} rows; QuickSight dataset ${input.length} input columns + region_code; ` +
  `example query over ${months.size} month(s)`);
