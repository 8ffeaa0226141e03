/**
 * The destination table as it is in the database, checked against the config before anything is written: a missing
 * table, a missing column or a column of another type is a config problem (ETL_SINK_SCHEMA naming table and column)
 * found at start-up, not thousands of failed rows later. Creating a table happens under an advisory lock, inside the
 * caller's transaction, so two workers starting together do not collide.
 */
import {EtlError} from '../../../sdk/index.js'
import type pg from 'pg'
import {matchesDataType, typeOfDataType, type Column} from './column-types.js'
import {createTableSql, DDL_LOCK_SQL, qualified, tableKey, type TableName} from './sql-text.js'

export interface ExistingColumn {
  column_name: string
  data_type: string
  is_nullable: 'YES' | 'NO'
  column_default: string | null
}

/** The table with its schema made explicit (the connection's current schema for an unqualified name). */
export async function resolveTable(client: pg.ClientBase, table: TableName): Promise<Required<TableName>> {
  if (table.schema !== undefined) return {schema: table.schema, name: table.name}
  const {rows} = await client.query<{schema: string}>('SELECT current_schema() AS schema')
  return {schema: rows[0].schema, name: table.name}
}

/** The table's columns in order, or undefined when there is no such table. */
export async function existingColumns(
  client: pg.ClientBase,
  table: Required<TableName>,
): Promise<ExistingColumn[] | undefined> {
  const {rows} = await client.query<ExistingColumn>(
    'SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns ' +
      'WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [table.schema, table.name],
  )
  return rows.length > 0 ? rows : undefined
}

function schemaError(table: Required<TableName>, column: string | undefined, message: string): EtlError {
  const where = `postgres sink, table ${tableKey(table)}${column ? `, column ${column}` : ''}`
  return new EtlError('ETL_SINK_SCHEMA', `${where}: ${message}`, {details: {table: tableKey(table), column}})
}

/** Throws ETL_SINK_SCHEMA for the first way the existing table cannot take the configured columns. */
export function checkColumns(table: Required<TableName>, existing: ExistingColumn[], columns: readonly Column[]): void {
  const byName = new Map(existing.map((column) => [column.column_name, column]))
  for (const column of columns) {
    const found = byName.get(column.name)
    if (!found) throw schemaError(table, column.name, `the table has no such column (configured as ${column.type})`)
    if (!matchesDataType(column.type, found.data_type)) {
      throw schemaError(
        table,
        column.name,
        `the column is ${found.data_type} in the database, but the config says ${column.type}; ` +
          'change the config or the column (ALTER TABLE … ALTER COLUMN … TYPE)',
      )
    }
  }
  const configured = new Set(columns.map((column) => column.name))
  for (const column of existing) {
    if (configured.has(column.column_name) || column.is_nullable === 'YES' || column.column_default !== null) continue
    throw schemaError(table, column.column_name, 'the column is NOT NULL without a default, and not in the config')
  }
}

/** The existing table's columns as the sink's (when the config lists none); a type it cannot write stops it. */
export function adoptColumns(table: Required<TableName>, existing: ExistingColumn[]): Column[] {
  return existing.map((column) => {
    const type = typeOfDataType(column.data_type)
    if (!type) {
      throw schemaError(
        table,
        column.column_name,
        `the sink cannot write a column of type ${column.data_type}; list the columns to write in columns:`,
      )
    }
    return {name: column.column_name, type}
  })
}

/** Upsert's ON CONFLICT needs a unique index (or the primary key) on exactly the key columns. */
export async function checkUniqueKey(client: pg.ClientBase, table: Required<TableName>, key: string[]): Promise<void> {
  const {rows} = await client.query<{columns: string[]}>(
    'SELECT array_agg(a.attname::text ORDER BY a.attname) AS columns FROM pg_index i ' +
      'JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) ' +
      'WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid',
    [qualified(table)],
  )
  const wanted = [...key].sort().join(',')
  if (rows.some((row) => [...row.columns].sort().join(',') === wanted)) return
  throw schemaError(
    table,
    undefined,
    `upsert needs a unique index or primary key on exactly (${key.join(', ')}); ` +
      `add one: CREATE UNIQUE INDEX ON ${qualified(table)} (${key.join(', ')})`,
  )
}

export interface SettleTableOptions {
  columns: readonly Column[] | undefined
  key: string[]
  mode: 'insert' | 'upsert'
  createTable: boolean
}

/**
 * Inside the caller's transaction: the table's columns (configured, adopted or, when `columns` is undefined and the
 * table is missing, undefined: the first record decides), the table created when missing and allowed.
 */
export async function settleTable(
  client: pg.ClientBase,
  table: Required<TableName>,
  options: SettleTableOptions,
): Promise<Column[] | undefined> {
  await client.query(DDL_LOCK_SQL, [tableKey(table)])
  const existing = await existingColumns(client, table)
  if (existing) {
    const columns = options.columns ? [...options.columns] : adoptColumns(table, existing)
    checkColumns(table, existing, columns)
    if (options.mode === 'upsert') await checkUniqueKey(client, table, options.key)
    return columns
  }
  if (!options.createTable) {
    throw schemaError(table, undefined, 'the table does not exist and createTable is false; create it, or turn it on')
  }
  if (!options.columns) return undefined
  await client.query(createTableSql(table, options.columns, options.key))
  return [...options.columns]
}
