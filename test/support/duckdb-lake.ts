/**
 * Reads a parquet sink's lake back with DuckDB, a reader independent of the writer (hyparquet-writer), the way a user
 * queries it: every `*.parquet` under the root with Hive partitioning. Used to check rows, types and what is visible.
 */
import {DuckDBInstance, type DuckDBConnection} from '@duckdb/node-api'

let connection: Promise<DuckDBConnection> | undefined

async function connect(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect())
  return connection
}

function glob(root: string): string {
  return `read_parquet('${root.replaceAll("'", "''")}/**/*.parquet', hive_partitioning = true, union_by_name = true)`
}

/** Runs `sql` with `LAKE` replaced by the lake's table function; rows as JSON-friendly objects. */
export async function queryLake(root: string, sql: string): Promise<Record<string, unknown>[]> {
  const result = await (await connect()).runAndReadAll(sql.replaceAll('LAKE', glob(root)))
  return result.getRowObjectsJson() as Record<string, unknown>[]
}

/** Column name → DuckDB type of the lake as read. */
export async function lakeTypes(root: string): Promise<Record<string, string>> {
  const rows = await queryLake(root, 'DESCRIBE SELECT * FROM LAKE')
  return Object.fromEntries(rows.map((row) => [row.column_name as string, row.column_type as string]))
}
