/**
 * What a failure from PostgreSQL means for the sink, by its SQLSTATE. Three outcomes matter to the runtime: a data
 * error belongs to one row (dead-lettered, the rest goes in); a connection or server-state error passes (an ordinary
 * error, so the stage's retry policy tries again); anything else — credentials, privileges, a table that does not fit
 * — would fail the same way on every attempt, so it stops the run with a stable code naming table and column.
 */
import {EtlError, messageOf} from '../../../sdk/index.js'

export type FailureKind = 'data' | 'access' | 'schema' | 'transient' | 'permanent'

/** The fields of a pg DatabaseError the sink reads. */
interface DatabaseErrorFields {
  code?: unknown
  column?: string
  table?: string
  detail?: string
}

const ACCESS = new Set(['28P01', '28000', '42501'])
/** Undefined table, column or schema; a type mismatch; no unique index for ON CONFLICT; an impossible cast. */
const SCHEMA = new Set(['42P01', '42703', '42804', '42P10', '42846', '3F000'])
/** Connection exceptions, the server shutting down or starting, resources, serialization/deadlock, lock timeouts. */
const TRANSIENT_CLASSES = new Set(['08', '57', '53', '40', '55', '58', 'XX'])

export function sqlState(error: unknown): string | undefined {
  const code = (error as DatabaseErrorFields | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

export function failureKind(error: unknown): FailureKind {
  const state = sqlState(error)
  // No SQLSTATE: a socket error (ECONNREFUSED, ECONNRESET) or "Connection terminated unexpectedly".
  if (state === undefined) return 'transient'
  const errorClass = state.slice(0, 2)
  // 21000: one upsert statement touched a row twice (two spellings of one key); split, each half goes in, in order.
  if (errorClass === '22' || errorClass === '23' || state === '21000') return 'data'
  if (ACCESS.has(state)) return 'access'
  if (SCHEMA.has(state)) return 'schema'
  if (TRANSIENT_CLASSES.has(errorClass)) return 'transient'
  return 'permanent'
}

/** The database's own words, with its SQLSTATE: what a user searches for. */
export function databaseMessage(error: unknown): string {
  const state = sqlState(error)
  const detail = (error as DatabaseErrorFields | null)?.detail
  return `${messageOf(error)}${detail ? ` (${detail})` : ''}${state ? ` [SQLSTATE ${state}]` : ''}`
}

/**
 * The error the sink throws for a failure of `action` on `table`: EtlError with ETL_SINK_ACCESS, ETL_SINK_SCHEMA or
 * ETL_SINK_PERMANENT (not retried), or an ordinary Error for passing failures (retried). An EtlError passes through.
 */
export function sinkError(error: unknown, table: string, action: string): Error {
  if (error instanceof EtlError) return error
  const kind = failureKind(error)
  const said = databaseMessage(error)
  const column = (error as DatabaseErrorFields | null)?.column
  const where = `postgres sink, table ${table}${column ? `, column ${column}` : ''}`
  const details = {table, column, sqlState: sqlState(error)}
  if (kind === 'access') {
    const hint = 'check the user and password (url, passwordEnv) and the GRANTs on the table and its schema'
    return new EtlError('ETL_SINK_ACCESS', `${where}: ${action}: ${said}; ${hint}`, {cause: error, details})
  }
  if (kind === 'schema') return new EtlError('ETL_SINK_SCHEMA', `${where}: ${action}: ${said}`, {cause: error, details})
  if (kind === 'transient') {
    const hint = 'the database is unreachable or restarting; nothing of the batch was committed'
    return new Error(`${where}: ${action}: ${said}; ${hint}`, {cause: error})
  }
  return new EtlError('ETL_SINK_PERMANENT', `${where}: ${action}: ${said}`, {cause: error, details})
}
