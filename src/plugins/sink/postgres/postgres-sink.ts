/**
 * One postgres sink instance. write() only checks and buffers (values coerced per column type, tagged with their
 * input); flush() is one transaction: lock this sink's positions, drop what another writer already wrote, write the
 * rest, move the positions, commit. A flush that fails commits nothing and keeps the buffer, so the runtime's retry
 * does it all again; a commit whose answer was lost is found committed by that retry (the positions say so).
 */
import type pg from 'pg'
import {
  EtlError,
  withRetry,
  type EtlRecord,
  type PluginContext,
  type SinkInstance,
  type SinkOrigin,
} from '../../../sdk/index.js'
import {coerceCell, inferType, ValueError, type Cell, type Column} from './column-types.js'
import {createPool, describeServer} from './connection.js'
import {OffsetsTable} from './offsets-table.js'
import {failureKind, sinkError} from './pg-errors.js'
import {postgresSettings, type PostgresSettings, type PostgresSinkConfig} from './postgres-config.js'
import {RowBuffer, type BufferedRow, type FlushPlan, type Rejection} from './row-buffer.js'
import {lastPerKey, RowsRefused, RowWriter, type WriteOutcome} from './row-writer.js'
import {copyRowsSql, tableKey, writeRowsSql, type TableName} from './sql-text.js'
import {resolveTable, settleTable} from './table-layout.js'
import {claimTable} from './table-claims.js'

interface FlushOutcome {
  plan: FlushPlan
  write: WriteOutcome
  columns: Column[] | undefined
}

export class PostgresSink implements SinkInstance {
  private readonly buffer = new RowBuffer()
  /** Per partition: the position this sink last read from or wrote to the table. */
  private readonly known = new Map<number, bigint>()
  private readonly ignored = new Set<string>()
  private table: Required<TableName> = {schema: '', name: ''}
  private offsets: OffsetsTable | undefined
  private columns: Column[] | undefined
  /** The names of `columns` (fields that are none of them are counted as ignored), and the array they are of. */
  private columnNames = new Set<string>()
  private namedColumns: Column[] | undefined
  /** False until the table is known to exist with `columns` (created at the first flush when they are inferred). */
  private tableReady = false
  private writer: RowWriter | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private release: (() => void) | undefined
  private closed = false

  /** Connects (retrying per the stage's policy), checks or creates the table and the offsets table. */
  static async open(config: PostgresSinkConfig, context: PluginContext): Promise<PostgresSink> {
    const settings = postgresSettings(config)
    const pool = createPool(config, context, settings.connectTimeoutMs)
    const sink = new PostgresSink(settings, context, pool)
    try {
      await withRetry(() => sink.prepare(), context.retry, {
        describe: `postgres sink: connecting to ${describeServer(config)}`,
        logger: context.logger,
        signal: context.signal,
        count: context.count,
        retryEvent: 'sink_retry',
      })
      sink.release = claimTable(context.consumer, tableKey(sink.table))
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw error
    }
    context.logger.info(`postgres sink: writing ${tableKey(sink.table)} on ${describeServer(config)}`)
    return sink
  }

  private constructor(
    private readonly settings: PostgresSettings,
    private readonly context: PluginContext,
    private readonly pool: pg.Pool,
  ) {
    this.columns = settings.columns
  }

  write(records: EtlRecord[], origin?: SinkOrigin): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`postgres sink for ${tableKey(this.table)} is closed`))
    if (records.length === 0 && !origin) return Promise.resolve()
    return this.serial(async () => {
      if (records.length > 0) this.columns ??= inferColumns(records[0])
      const rows: BufferedRow[] = []
      const rejects: Rejection[] = []
      for (const record of records) this.coerce(record, rows, rejects)
      this.buffer.add(rows, rejects, this.offsets ? origin : undefined)
    })
  }

  flush(): Promise<void> {
    return this.serial(async () => {
      if (this.buffer.isEmpty()) return
      // A refused row aborts the plain try; the careful one (savepoints) finds it and writes the rest.
      const outcome = await this.inTransaction('flush', (client) => this.flushIn(client, false)).catch((error) => {
        if (!(error instanceof RowsRefused)) throw error
        return this.inTransaction('flush', (client) => this.flushIn(client, true))
      })
      this.committed(outcome)
    })
  }

  async positions(topic: string): Promise<Map<number, bigint> | undefined> {
    const offsets = this.offsets
    if (!offsets) return undefined
    const read = () => this.inTransaction('read positions', (client) => offsets.read(client, topic))
    const positions = await withRetry(read, this.context.retry, {
      describe: `postgres sink: reading positions of ${tableKey(this.table)}`,
      logger: this.context.logger,
      signal: this.context.signal,
    })
    for (const [partition, next] of positions) this.known.set(partition, next)
    return positions
  }

  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      this.closed = true
      this.release?.()
      await this.pool.end().catch(() => undefined)
    }
  }

  /** Resolves the table's schema, settles its columns (creating it when configured and missing), the offsets table. */
  private async prepare(): Promise<void> {
    await this.inTransaction('start', async (client) => {
      this.table = await resolveTable(client, this.settings.table)
      this.columns = await settleTable(client, this.table, this.settleOptions())
      this.tableReady = this.columns !== undefined
      const consumer = this.context.consumer
      if (!consumer) return
      const offsets = await resolveTable(client, this.settings.offsetsTable)
      this.offsets = new OffsetsTable(offsets, consumer.group, tableKey(this.table))
      await this.offsets.ensure(client)
    })
  }

  private settleOptions() {
    const {key, mode, createTable} = this.settings
    return {columns: this.columns, key, mode, createTable}
  }

  /** The flush's work inside its transaction; nothing here is visible to anyone until the commit. */
  private async flushIn(client: pg.ClientBase, careful: boolean): Promise<FlushOutcome> {
    // Columns inferred from the first record: the table is created (or checked) now, in this transaction.
    const columns = this.tableReady ? this.columns : await settleTable(client, this.table, this.settleOptions())
    const topic = this.context.consumer?.topic ?? ''
    const stored = this.offsets ? await this.offsets.lock(client, topic, this.buffer.partitions()) : new Map()
    const plan = this.buffer.plan(stored, this.known, tableKey(this.table))
    let write: WriteOutcome = {written: 0, refused: []}
    if (columns && plan.rows.length > 0) {
      const rows = this.settings.mode === 'upsert' ? lastPerKey(plan.rows, this.keyIndexes(columns)) : plan.rows
      write = await this.writerFor(columns).write(client, rows, careful)
    }
    await this.offsets?.advance(client, topic, plan.advance)
    return {plan, write, columns}
  }

  /** After the commit: the buffer goes, positions move, refused records are dead-lettered (once: only now). */
  private committed({plan, write, columns}: FlushOutcome): void {
    this.buffer.clear()
    if (columns) {
      this.columns = columns
      this.tableReady = true
    }
    for (const [partition, next] of plan.advance) {
      if ((this.known.get(partition) ?? 0n) < next) this.known.set(partition, next)
    }
    for (const {record, reason} of [...plan.rejects, ...write.refused]) {
      this.context.reject(record, 'ETL_RECORD_INVALID', reason)
    }
    this.context.count('rows_written', write.written)
    if (plan.dropped > 0) {
      this.context.count('skipped_already_written', plan.dropped)
      this.context.logger.info(
        `postgres sink: ${plan.dropped} row(s) of this batch were already in ${tableKey(this.table)} ` +
          '(written by another process of the group); skipped',
      )
    }
  }

  private writerFor(columns: Column[]): RowWriter {
    const {mode, key, batchSize} = this.settings
    const copy = mode === 'insert' ? copyRowsSql(this.table, columns) : undefined
    this.writer ??= new RowWriter(writeRowsSql({table: this.table, columns, mode, key}), columns, batchSize, copy)
    return this.writer
  }

  private keyIndexes(columns: Column[]): number[] {
    return this.settings.key.map((name) => columns.findIndex((column) => column.name === name))
  }

  /** One record as a row of text values, or a rejection naming the column and why. */
  private coerce(record: EtlRecord, rows: BufferedRow[], rejects: Rejection[]): void {
    const columns = this.columns!
    const values: Cell[] = new Array(columns.length)
    let index = 0
    try {
      for (; index < columns.length; index++)
        values[index] = coerceCell(record[columns[index].name], columns[index].type)
    } catch (error) {
      if (!(error instanceof ValueError)) throw error
      const column = columns[index]
      rejects.push({record, reason: `column ${column.name} (${column.type}): ${error.message}`})
      return
    }
    this.noteIgnored(record)
    rows.push({values, record})
  }

  /** Fields that are not columns: counted and logged once per name. */
  private noteIgnored(record: EtlRecord): void {
    if (this.namedColumns !== this.columns) {
      this.namedColumns = this.columns
      this.columnNames = new Set(this.columns!.map((column) => column.name))
    }
    for (const field in record) {
      if (this.columnNames.has(field) || this.ignored.has(field)) continue
      this.ignored.add(field)
      this.context.count('ignored_field')
      this.context.logger.debug(`postgres sink: field "${field}" is not a column of ${tableKey(this.table)}; ignored`)
    }
  }

  /**
   * Runs `work` in a transaction on a pooled connection; rolls back on any failure and throws it as the sink's
   * error (sinkError). A connection that failed is destroyed rather than returned to the pool.
   */
  private async inTransaction<T>(action: string, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const name = () => (this.table.name ? tableKey(this.table) : this.settings.table.name)
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw sinkError(error, name(), `${action}: connecting`)
    }
    // A checked-out client reports a dropped connection as an 'error' event too; the failed query says it already.
    const onError = (error: Error) => this.context.logger.debug(`postgres: connection lost: ${error.message}`)
    client.on('error', onError)
    let failure: unknown
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      failure = error
      await client.query('ROLLBACK').catch(() => undefined)
      if (error instanceof RowsRefused) throw error
      throw sinkError(error, name(), action)
    } finally {
      client.off('error', onError)
      client.release(failure !== undefined && !(failure instanceof EtlError) && failureKind(failure) === 'transient')
    }
  }

  /** write, flush and close one at a time, in call order. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => undefined)
    return run
  }
}

/** Columns from the first record's fields, their types inferred from its values. */
function inferColumns(first: EtlRecord): Column[] {
  return Object.entries(first).map(([name, value]) => ({name, type: inferType(value)}))
}
