/**
 * Writes rows inside the flush's transaction, one statement per chunk, each under a savepoint. When PostgreSQL
 * refuses a chunk with a data error (SQLSTATE class 22 or 23: a value it cannot read, a NOT NULL or unique
 * violation), the chunk is rolled back to its savepoint and split in halves until the refused rows stand alone: those
 * are returned with the database's own message (to be dead-lettered), everything else goes in. Any other error
 * propagates and the caller's transaction rolls back whole.
 */
import type pg from 'pg'
import type {Column} from './column-types.js'
import {databaseMessage, failureKind} from './pg-errors.js'
import type {BufferedRow, Rejection} from './row-buffer.js'

export interface WriteOutcome {
  written: number
  refused: Rejection[]
}

export class RowWriter {
  constructor(
    private readonly sql: string,
    private readonly columns: readonly Column[],
    private readonly batchSize: number,
  ) {}

  async write(client: pg.ClientBase, rows: readonly BufferedRow[]): Promise<WriteOutcome> {
    const outcome: WriteOutcome = {written: 0, refused: []}
    for (let start = 0; start < rows.length; start += this.batchSize) {
      outcome.written += await this.attempt(client, rows.slice(start, start + this.batchSize), outcome.refused)
    }
    return outcome
  }

  /** Writes `rows` or, on a data error, each half of them; returns how many went in. */
  private async attempt(client: pg.ClientBase, rows: BufferedRow[], refused: Rejection[]): Promise<number> {
    await client.query('SAVEPOINT etl_rows')
    try {
      await client.query(this.sql, this.arrays(rows))
      await client.query('RELEASE SAVEPOINT etl_rows')
      return rows.length
    } catch (error) {
      if (failureKind(error) !== 'data') throw error
      await client.query('ROLLBACK TO SAVEPOINT etl_rows')
      await client.query('RELEASE SAVEPOINT etl_rows')
      if (rows.length === 1) {
        refused.push({record: rows[0].record, reason: `PostgreSQL refused the row: ${databaseMessage(error)}`})
        return 0
      }
      const half = Math.ceil(rows.length / 2)
      const first = await this.attempt(client, rows.slice(0, half), refused)
      return first + (await this.attempt(client, rows.slice(half), refused))
    }
  }

  /** One text array per column: the statement's parameters. */
  private arrays(rows: readonly BufferedRow[]): (string | null)[][] {
    return this.columns.map((_, index) => rows.map((row) => row.values[index]))
  }
}

/** For upsert: the last row per key, in order of last appearance (ON CONFLICT cannot touch one row twice). */
export function lastPerKey(rows: readonly BufferedRow[], keyIndexes: readonly number[]): BufferedRow[] {
  const byKey = new Map<string, BufferedRow>()
  for (const row of rows) {
    const key = JSON.stringify(keyIndexes.map((index) => row.values[index]))
    byKey.delete(key)
    byKey.set(key, row)
  }
  return [...byKey.values()]
}
