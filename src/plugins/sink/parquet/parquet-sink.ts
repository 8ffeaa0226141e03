/**
 * One parquet sink instance: a lake folder of Hive-partitioned Parquet files fed through a write-ahead spool.
 *
 * flush() appends the batch's rows to `_etl/spool.jsonl`, fsyncs it, then replaces `_etl/state.json` (positions and
 * spool length) atomically: the batch is durable before the process stage commits its offsets. A roll (rows, bytes
 * or age reached) writes the spooled rows as one Parquet file per partition folder under temporary names, records
 * the renames with the spool emptied, renames, and records them done. Every step leaves a state start-up can finish
 * (lake-recovery.ts), so after a kill -9 at any moment the lake holds each row exactly once and no half file.
 */
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import {EtlError, type EtlRecord, type PluginContext, type SinkInstance, type SinkOrigin} from '../../../sdk/index.js'
import {lockFile, type FileLock} from '../../shared/files/file-lock.js'
import {Unconvertible, type Column} from './column-types.js'
import {onDisk} from './disk-errors.js'
import {removeTemps, renamePending} from './lake-files.js'
import {recoverSpool, recoverState, removeStrayTemps} from './lake-recovery.js'
import {writeRollFiles} from './lake-roll.js'
import {META_DIR, TEMP_DIR, writeState, type LakeState} from './lake-state.js'
import {normalizeSettings, type LakeSettings, type ParquetSinkConfig} from './parquet-config.js'
import {inferColumns, RowEncoder, spoolLine, type SpoolRow} from './row-encoder.js'
import {SpoolFile} from './spool-file.js'
import {SpooledRows} from './spooled-rows.js'

export class ParquetSink implements SinkInstance {
  private encoder: RowEncoder | undefined
  /** Rows written since the last flush, and their spool text. */
  private queued: SpoolRow[] = []
  private queuedText: string[] = []
  /** Positions accepted with writes (ahead of the state's until the next flush). */
  private accepted: Map<number, bigint>
  private readonly spooled = new SpooledRows()
  private timer: NodeJS.Timeout | undefined
  private closed = false

  private constructor(
    private readonly settings: LakeSettings,
    private readonly context: PluginContext,
    private readonly lock: FileLock,
    private readonly spool: SpoolFile,
    /** What is durably on disk. */
    private state: LakeState,
  ) {
    this.accepted = new Map(state.partitions)
    const columns = settings.columns ?? state.columns
    if (columns) this.encoder = this.encoderFor(columns)
  }

  /** Takes the lake's lock, recovers it (see lake-recovery.ts) and loads the spooled rows. */
  static async open(config: ParquetSinkConfig, context: PluginContext): Promise<ParquetSink> {
    const settings = normalizeSettings(config, context)
    const {root, fsync} = settings
    await onDisk(root, 'creating the lake folder', () => mkdir(join(root, TEMP_DIR), {recursive: true}))
    const lock = await lockFile(join(root, META_DIR, 'writer'))
    if (lock.holders() > 1) {
      await lock.release()
      throw new EtlError('ETL_SINK_LOCKED', `parquet: two sinks of this run write the lake ${root}; give each a path`)
    }
    let spool: SpoolFile | undefined
    try {
      const recovered = await onDisk(root, 'recovering the lake', () => recoverState(root, context.logger, fsync))
      await removeStrayTemps(root, context.logger)
      spool = await SpoolFile.open(root)
      const {rows, state} = await recoverSpool(spool, recovered, recovered.columns, context.logger)
      const sink = new ParquetSink(settings, context, lock, spool, state)
      sink.spooled.add(rows)
      await sink.adoptColumns()
      sink.startTimer()
      return sink
    } catch (error) {
      await spool?.close().catch(() => undefined)
      await lock.release()
      throw error
    }
  }

  write(records: EtlRecord[], origin?: SinkOrigin): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`parquet sink for ${this.settings.root} is closed`))
    return this.lock.serial(async () => {
      if (records.length > 0) this.queue(records)
      if (origin) this.accepted.set(origin.partition, origin.nextOffset)
    })
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.lock.serial(async () => {
      await this.finishRenames()
      await this.spoolQueued()
      if (this.rollDue()) await this.roll()
    })
  }

  positions(topic: string): Map<number, bigint> {
    const {state} = this
    if (state.topic !== null && state.topic !== topic) {
      this.context.logger.warn(
        `parquet lake ${this.settings.root}: positions are of topic ${state.topic}, not ${topic}; ignoring them ` +
          '(rows of uncommitted inputs may be written again)',
      )
      this.accepted = new Map()
    }
    this.state = {...state, topic, partitions: new Map(this.accepted)}
    return new Map(this.accepted)
  }

  /** Flushes, rolls what is spooled into Parquet files, and releases the lake. */
  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
      await this.lock.serial(() => this.roll())
    } finally {
      this.closed = true
      clearInterval(this.timer)
      await this.lock.serial(() => this.spool.close()).catch(() => undefined)
      await this.lock.release()
    }
  }

  /** Encodes records into the queue; a record that does not fit its columns is dead-lettered. */
  private queue(records: EtlRecord[]): void {
    const encoder = (this.encoder ??= this.encoderFor(inferColumns(records[0], this.settings.timestampUnit)))
    for (const record of records) {
      const row = encoder.encode(record)
      if (row instanceof Unconvertible) {
        this.context.reject(record, 'ETL_RECORD_INVALID', `parquet: ${row.reason}`)
        continue
      }
      this.queued.push(row)
      this.queuedText.push(spoolLine(row))
    }
  }

  /** Appends the queued rows to the spool and records them with the accepted positions. */
  private async spoolQueued(): Promise<void> {
    const {state, settings} = this
    const columns = this.encoder?.columns
    const unchanged = samePositions(state.partitions, this.accepted) && sameColumns(columns, state.columns)
    if (this.queued.length === 0 && unchanged) return
    const spoolBytes =
      this.queued.length === 0
        ? state.spoolBytes
        : await onDisk(settings.root, 'appending to the spool', () =>
            this.spool.append(state.spoolBytes, this.queuedText.join(''), settings.fsync),
          )
    const next: LakeState = {
      ...state,
      partitions: new Map(this.accepted),
      columns: columns as Column[] | undefined,
      spoolBytes,
      spoolSince: state.spoolSince ?? (this.queued.length > 0 ? this.context.clock.now() : undefined),
    }
    await onDisk(settings.root, 'recording the spool', () => writeState(settings.root, next, settings.fsync))
    this.state = next
    this.spooled.add(this.queued)
    this.queued = []
    this.queuedText = []
  }

  private rollDue(): boolean {
    const {state, settings} = this
    if (this.spooled.count === 0) return false
    if (this.spooled.count >= settings.maxRows || state.spoolBytes >= settings.maxBytes) return true
    return settings.maxAgeMs > 0 && state.spoolSince !== undefined && this.ageMs() >= settings.maxAgeMs
  }

  private ageMs(): number {
    return this.context.clock.now() - (this.state.spoolSince ?? this.context.clock.now())
  }

  /** Turns the spooled rows into Parquet files (see the module comment for the steps). */
  private async roll(): Promise<void> {
    const {settings, state} = this
    const columns = state.columns
    if (this.spooled.count === 0 || !columns) return
    const {root, fsync} = settings
    const pending = await onDisk(root, 'writing Parquet files', () =>
      writeRollFiles({...settings, root, columns, rows: this.spooled, nextFile: state.nextFile}),
    )
    const next: LakeState = {
      ...state,
      spoolBytes: 0,
      spoolSince: undefined,
      nextFile: state.nextFile + pending.length,
      pending,
    }
    await onDisk(root, 'recording a roll', () => writeState(root, next, fsync)).catch(async (error: unknown) => {
      await removeTemps(root).catch(() => undefined)
      throw error
    })
    this.state = next
    const rows = this.spooled.count
    this.spooled.clear()
    await this.spool.truncate(0, false).catch(() => undefined) // the next append cuts it too: the state says 0
    await this.finishRenames()
    this.context.count('parquet_files', pending.length)
    this.context.logger.debug(`parquet lake ${root}: rolled ${rows} row(s) into ${pending.length} file(s)`)
  }

  /** Renames the recorded pending files into place and records that; retried by the next flush when it fails. */
  private async finishRenames(): Promise<void> {
    const {settings, state} = this
    if (state.pending.length === 0) return
    await onDisk(settings.root, 'renaming Parquet files into place', async () => {
      await renamePending(settings.root, state.pending, settings.fsync)
      const next = {...state, pending: []}
      await writeState(settings.root, next, settings.fsync)
      this.state = next
    })
  }

  /** Configured columns that differ from those of rows still spooled: those rows are rolled under their own first. */
  private async adoptColumns(): Promise<void> {
    const configured = this.settings.columns
    const recorded = this.state.columns
    if (!configured || sameColumns(configured, recorded)) return
    if (this.spooled.count > 0) await this.roll()
    this.state = {...this.state, columns: configured}
    this.encoder = this.encoderFor(configured)
  }

  private encoderFor(columns: readonly Column[]): RowEncoder {
    return new RowEncoder(columns, this.settings.partitionBy, (field) => {
      this.context.count('ignored_field')
      this.context.logger.debug(`field "${field}" is not a column; ignoring it`, {path: this.settings.root})
    })
  }

  /** Checks the age limit between flushes (a quiet topic still gets its files), one check at a time. */
  private startTimer(): void {
    const {maxAgeMs} = this.settings
    if (maxAgeMs <= 0) return
    this.timer = setInterval(
      () => {
        if (this.closed || !this.rollDue()) return
        this.lock
          .serial(() => (this.rollDue() ? this.roll() : Promise.resolve()))
          .catch((error: unknown) => this.context.logger.warn(`parquet: roll by age failed (retried): ${error}`))
      },
      Math.max(50, Math.min(1000, maxAgeMs / 2)),
    )
    this.timer.unref()
  }
}

function samePositions(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): boolean {
  if (a.size !== b.size) return false
  for (const [partition, offset] of a) if (b.get(partition) !== offset) return false
  return true
}

function sameColumns(a: readonly Column[] | undefined, b: readonly Column[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}
