// Runs one SQL query in DuckDB (its `{file}` replaced by the quoted Parquet path given) and
// prints the rows as JSON: for e2e checks of single columns.
import { DuckDBInstance } from "@duckdb/node-api";

const [file, sql] = process.argv.slice(2);
const db = await (await DuckDBInstance.create(":memory:")).connect();
const quoted = `'${file.replaceAll("'", "''")}'`;
const rows = (await db.runAndReadAll(sql.replaceAll("{file}", quoted))).getRowObjectsJS();
console.log(JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
