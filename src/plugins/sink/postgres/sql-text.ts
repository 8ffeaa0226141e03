/**
 * The SQL the postgres sink sends, built in one place from quoted identifiers, so no table or column name from a
 * config can change a statement's meaning. Rows go in as one COPY per flush (insert mode), or as one
 * `INSERT … SELECT FROM unnest($1::type[], …)` per chunk: one parameter per column whatever the row count, the same
 * statement for insert (narrowing a refused row down) and upsert (ON CONFLICT).
 */
import type {Column} from './column-types.js'

/** A table as `schema.name`; schema undefined means the connection's current schema. */
export interface TableName {
  schema?: string
  name: string
}

/** `"a""b"`: a PostgreSQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export function qualified(table: TableName): string {
  return table.schema === undefined ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`
}

/** `schema.table` from a config string: at most one dot, no empty part. Undefined when malformed. */
export function parseTableName(text: string): TableName | undefined {
  const parts = text.split('.')
  if (parts.length > 2 || parts.some((part) => part.length === 0)) return undefined
  return parts.length === 2 ? {schema: parts[0], name: parts[1]} : {name: parts[0]}
}

/** How the table is named in etl_offsets: schema and name, unquoted. */
export function tableKey(table: Required<TableName>): string {
  return `${table.schema}.${table.name}`
}

export function createTableSql(table: TableName, columns: readonly Column[], key: readonly string[]): string {
  const definitions = columns.map((column) => `${quoteIdent(column.name)} ${column.type}`)
  if (key.length > 0) definitions.push(`PRIMARY KEY (${key.map(quoteIdent).join(', ')})`)
  return `CREATE TABLE IF NOT EXISTS ${qualified(table)} (${definitions.join(', ')})`
}

export interface WriteStatementOptions {
  table: TableName
  columns: readonly Column[]
  mode: 'insert' | 'upsert'
  key: readonly string[]
}

/**
 * The statement that writes one chunk: parameter $i is the text array of column i, cast to the column's type in SQL
 * (a value PostgreSQL cannot read fails the statement with a data error, which the writer narrows down to its row).
 * Upsert updates every non-key column in place; with only key columns it keeps the existing row.
 */
export function writeRowsSql(options: WriteStatementOptions): string {
  const {table, columns, mode, key} = options
  const names = columns.map((column) => quoteIdent(column.name)).join(', ')
  const arrays = columns.map((column, index) => `$${index + 1}::${column.type}[]`).join(', ')
  const insert = `INSERT INTO ${qualified(table)} (${names}) SELECT * FROM unnest(${arrays})`
  if (mode === 'insert') return insert
  const updates = columns
    .filter((column) => !key.includes(column.name))
    .map((column) => `${quoteIdent(column.name)} = EXCLUDED.${quoteIdent(column.name)}`)
  const target = key.map(quoteIdent).join(', ')
  return `${insert} ON CONFLICT (${target}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`
}

/** The offsets table: one row per consumer group, sink table, topic and partition. */
export function createOffsetsTableSql(offsets: TableName): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${qualified(offsets)} (` +
    'group_id text NOT NULL, table_name text NOT NULL, topic text NOT NULL, partition integer NOT NULL, ' +
    'next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), ' +
    'PRIMARY KEY (group_id, table_name, topic, partition))'
  )
}

const WHERE_SINK = 'group_id = $1 AND table_name = $2 AND topic = $3'

/**
 * Locks this sink's rows of the partitions it is about to write and returns their positions, in one statement: rows
 * of partitions seen for the first time are inserted at 0, existing ones "updated" to themselves, which takes their
 * row lock as FOR UPDATE would. Rows are taken in partition order, so two writers never deadlock; a second writer
 * waits here until the first one's transaction ends, then reads what it committed.
 */
export function lockOffsetsSql(offsets: TableName): string {
  return (
    `INSERT INTO ${qualified(offsets)} AS o (group_id, table_name, topic, partition, next_offset) ` +
    'SELECT $1, $2, $3, p, 0 FROM unnest($4::integer[]) AS p ORDER BY p ' +
    'ON CONFLICT (group_id, table_name, topic, partition) DO UPDATE SET next_offset = o.next_offset ' +
    'RETURNING partition, next_offset'
  )
}

/** Moves each partition's position forward (never back) to the batch's end. */
export function advanceOffsetsSql(offsets: TableName): string {
  return (
    `UPDATE ${qualified(offsets)} AS o SET next_offset = GREATEST(o.next_offset, v.n), updated_at = now() ` +
    'FROM unnest($4::integer[], $5::bigint[]) AS v(p, n) ' +
    'WHERE o.group_id = $1 AND o.table_name = $2 AND o.topic = $3 AND o.partition = v.p'
  )
}

export function readOffsetsSql(offsets: TableName): string {
  return `SELECT partition, next_offset FROM ${qualified(offsets)} WHERE ${WHERE_SINK} AND next_offset > 0`
}

/** Serialises DDL on one table between writers (two workers creating it at once would collide in pg_type). */
export const DDL_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('etl-sink-postgres:' || $1))"

/** `COPY … FROM STDIN` of the columns, text format: how insert mode loads rows when none is refused. */
export function copyRowsSql(table: TableName, columns: readonly Column[]): string {
  return `COPY ${qualified(table)} (${columns.map((column) => quoteIdent(column.name)).join(', ')}) FROM STDIN`
}
