/**
 * Writes rows inside the flush's transaction. The first try sends them plainly: in insert mode as one COPY
 * (copy-rows.ts), in upsert mode as one statement per chunk; a savepoint per chunk costs two round trips, and almost
 * every flush has no bad row. When PostgreSQL refuses the rows with a data error (SQLSTATE class 22 or 23: a value it
 * cannot read, a NOT NULL or unique violation), the plain try throws RowsRefused, the caller rolls the transaction
 * back and runs it again carefully: each chunk of the INSERT under a savepoint, a refused chunk rolled back to it and
 * split in halves until the refused rows stand alone. Those are returned with the database's own message (to be
 * dead-lettered); everything else goes in. Any other error propagates and the caller's transaction rolls back whole.
 */
import type pg from 'pg'
import {cellText, type Column} from './column-types.js'
import {copyRows} from './copy-rows.js'
import {databaseMessage, failureKind} from './pg-errors.js'
import type {BufferedRow, Rejection} from './row-buffer.js'

export interface WriteOutcome {
  written: number
  refused: Rejection[]
}

/** A plain write met a data error: the transaction is aborted and must be run again with `careful` writes. */
export class RowsRefused extends Error {
  override readonly name = 'RowsRefused'
}

export class RowWriter {
  /**
   * @param copySql insert mode: the COPY that plain writes use instead of `sql` (copy-rows.ts); careful writes
   *   always use `sql`, whose chunks can be rolled back one by one.
   */
  constructor(
    private readonly sql: string,
    private readonly columns: readonly Column[],
    private readonly batchSize: number,
    private readonly copySql?: string,
  ) {}

  /** Writes every row; plainly unless `careful` (see the module comment). */
  async write(client: pg.ClientBase, rows: readonly BufferedRow[], careful = false): Promise<WriteOutcome> {
    if (!careful && this.copySql) return {written: await this.copied(client, rows), refused: []}
    const outcome: WriteOutcome = {written: 0, refused: []}
    for (let start = 0; start < rows.length; start += this.batchSize) {
      const chunk = rows.slice(start, start + this.batchSize)
      outcome.written += careful ? await this.attempt(client, chunk, outcome.refused) : await this.plain(client, chunk)
    }
    return outcome
  }

  private async copied(client: pg.ClientBase, rows: readonly BufferedRow[]): Promise<number> {
    try {
      await copyRows(client, this.copySql!, this.columns, rows)
      return rows.length
    } catch (error) {
      if (failureKind(error) === 'data') throw new RowsRefused(databaseMessage(error), {cause: error})
      throw error
    }
  }

  private async plain(client: pg.ClientBase, rows: BufferedRow[]): Promise<number> {
    try {
      await client.query(this.sql, this.arrays(rows))
      return rows.length
    } catch (error) {
      if (failureKind(error) === 'data') throw new RowsRefused(databaseMessage(error), {cause: error})
      throw error
    }
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
    return this.columns.map((_, index) => rows.map((row) => cellText(row.values[index])))
  }
}

/** For upsert: the last row per key, in order of last appearance (ON CONFLICT cannot touch one row twice). */
export function lastPerKey(rows: readonly BufferedRow[], keyIndexes: readonly number[]): BufferedRow[] {
  const byKey = new Map<string, BufferedRow>()
  for (const row of rows) {
    const key = JSON.stringify(keyIndexes.map((index) => cellText(row.values[index])))
    byKey.delete(key)
    byKey.set(key, row)
  }
  return [...byKey.values()]
}
