/**
 * One run() of a replay: plays the file pass after pass from the position it starts at, and emits the records in
 * batches, each with the checkpoint after it. The reader yields a batch of rows per file chunk, so the loop awaits
 * once per chunk; per row it awaits only to emit a full batch or to wait until a paced record is due.
 */
import {sleep, type EtlRecord, type Logger, type SourceEmitter} from '../../../sdk/index.js'
import {readCsvRowBatches, type CsvRow} from './csv-rows.js'
import {Pacer} from './pacer.js'
import type {ReplayConfig} from './replay-config.js'
import type {Position, ReplayCheckpoint} from './replay-checkpoint.js'
import type {Converted, RowConverter} from './row-converter.js'

/** What a run reads and how it reports. */
export interface ReplaySetup {
  config: ReplayConfig
  path: string
  /** The file's identity as of restore() (or create), for the checkpoints. */
  file: ReplayCheckpoint['file']
  /** The settings the checkpoints are valid for (readSettings). */
  reads: string
  rows: RowConverter
  logger: Logger
}

export class ReplayRun {
  private batch: EtlRecord[] = []
  private readonly position: Position
  /** The last checkpoint emitted, as JSON. */
  private emitted: string | undefined
  /** Checked for every row: the composite signal's own `aborted` re-checks its sources on each read. */
  private stopped: boolean
  private readonly pacer: Pacer | undefined
  private readonly limit: number

  constructor(
    private readonly setup: ReplaySetup,
    from: Position,
    private readonly emit: SourceEmitter,
    private readonly signal: AbortSignal,
  ) {
    this.position = {...from}
    this.limit = setup.config.limit ?? Infinity
    this.pacer = setup.config.speed > 0 ? new Pacer(setup.config.speed) : undefined
    this.stopped = signal.aborted
    signal.addEventListener('abort', () => (this.stopped = true), {once: true})
  }

  /** Plays until every pass is done, the limit is reached, the file yields nothing, or the signal aborts. */
  async play(): Promise<void> {
    const {loop} = this.setup.config
    while (loop === 0 || this.position.pass < loop) {
      if (this.position.produced >= this.limit) return
      if (!(await this.playPass())) return
      if (!(await this.nextPass())) return
    }
  }

  /** Emits the records of the rows after the position's line; true when it read the file to its end. */
  private async playPass(): Promise<boolean> {
    const skipTo = this.position.line
    const batches = readCsvRowBatches(this.setup.path, this.signal, (line, reason) => {
      if (line > skipTo) this.setup.rows.reject(line, reason)
    })
    for await (const rows of batches) if (!(await this.playRows(rows, skipTo))) return false
    return !this.stopped
  }

  /** The rows of one file chunk; false when the run ends within them (stopped, or the limit reached). */
  private async playRows(rows: CsvRow[], skipTo: number): Promise<boolean> {
    for (const row of rows) {
      if (this.stopped) return false
      if (row.line <= skipTo) continue // consumed by an earlier run
      const converted = this.setup.rows.convert(row, this.position.shiftMs)
      if (!converted) {
        this.position.line = row.line
        continue
      }
      const wait = this.due(converted.time)
      if (wait > 0) {
        await this.send()
        await sleep(wait, this.signal)
      }
      if (this.stopped) return false
      if (this.add(converted, row.line)) await this.send()
      if (this.position.produced >= this.limit || this.stopped) return false
    }
    return true
  }

  /** Notes the pass's first and second event times; how long to wait until the record is due (0 unpaced). */
  private due(time: number): number {
    const position = this.position
    if (position.first === undefined) position.first = time
    else if (position.second === undefined) position.second = time
    return this.pacer ? this.pacer.waitFor(time) : 0
  }

  /** Adds the record to the batch and moves the position past its row; true when the batch is due. */
  private add({record, time}: Converted, line: number): boolean {
    const position = this.position
    this.batch.push(record)
    position.produced++
    position.line = line
    position.last = time
    return this.batch.length >= this.setup.config.batchSize || position.produced >= this.limit
  }

  /** After a pass read to its end: the next pass's position, emitted; false when the file produced no records. */
  private async nextPass(): Promise<boolean> {
    const position = this.position
    const {first, second, last} = position
    if (first === undefined || last === undefined) {
      await this.send()
      this.setup.logger.warn('the file produced no records; stopping', {path: this.setup.path, pass: position.pass + 1})
      return false
    }
    // One typical step beyond the span, so the next pass starts where the file's next row would have been.
    Object.assign(position, {pass: position.pass + 1, line: 0, first: undefined, second: undefined, last: undefined})
    position.shiftMs += last - first + (second === undefined ? 1000 : second - first)
    await this.send() // the rest of this pass, with a position that says the pass is complete
    return true
  }

  /** Emits the batch with the position after it; with no records, only when the position moved. */
  private async send(): Promise<void> {
    if (this.stopped) return
    const checkpoint: ReplayCheckpoint = {...this.position, file: this.setup.file, reads: this.setup.reads}
    const text = JSON.stringify(checkpoint)
    if (this.batch.length === 0 && text === this.emitted) return
    const records = this.batch
    this.batch = []
    this.emitted = text
    await this.emit(records, checkpoint)
  }
}
