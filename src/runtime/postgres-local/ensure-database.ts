/**
 * Creates a database on a local cluster when it is missing, so a pipeline's default URL (…/etl) works right after
 * `etl postgres start`. initdb only creates `postgres`, `template0` and `template1`.
 */
import pg from 'pg'

/** Connects as `user` to the maintenance database and creates `database` unless it exists; true when created. */
export async function ensureDatabase(connection: {host: string; port: number; user: string}, database: string) {
  const client = new pg.Client({...connection, database: 'postgres'})
  await client.connect()
  try {
    const {rowCount} = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (rowCount) return false
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`)
    return true
  } finally {
    await client.end()
  }
}
