/**
 * One csv sink instance: settles its columns (configured, the existing file's header, or the first record's fields),
 * turns batches into rows, and keeps the file and its positions in step at every flush (see index.ts).
 */
import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'
import {stringify} from 'csv-stringify/sync'
import {EtlError, type EtlRecord, type PluginContext, type SinkInstance, type SinkOrigin} from '../../../sdk/index.js'
import {formulaGuardCast} from './csv-formula-guard.js'
import {CsvFileWriter} from './csv-file-writer.js'
import {headerMismatch} from './csv-header.js'
import {createCsvRowWriter, csvStringifyOptions, type CsvRowOptions, type CsvRowWriter} from './csv-row-writer.js'
import type {FileLock} from '../../shared/files/file-lock.js'
import {IgnoredFields} from './ignored-fields.js'
import {openSinkFile, type OpenSinkFile} from './open-sink-file.js'
import type {FilePositions} from './positions-file.js'

export interface CsvSinkConfig {
  path?: string
  columns?: string[]
  header: boolean
  delimiter: string
  fsync: boolean
}

/** What the first write settles: how rows are written, and which record fields are not columns. */
interface Layout {
  writeRows: CsvRowWriter
  ignored: IgnoredFields
}

export class CsvSink implements SinkInstance {
  private columns: string[] | undefined
  private layout: Layout | undefined
  /** An empty file is looked at again at the first write (another sink may have written a header meanwhile). */
  private inspected = false
  /** Sinks of this process that share the file cannot keep one positions file for both: at-least-once for them. */
  private shared = false
  private closed = false
  private readonly rowOptions: CsvRowOptions
  private readonly file: CsvFileWriter
  /** `<file>.lock`; its serial() runs file operations one at a time, in call order, even without awaits between. */
  private readonly lock: FileLock
  private readonly filePositions: FilePositions

  /** Opens (or creates) the file, takes its lock and cuts off rows past its recorded positions. */
  static async open(config: CsvSinkConfig, context: PluginContext): Promise<CsvSink> {
    const path = context.resolvePath(config.path ?? `data/${context.pipelineName}.csv`)
    await mkdir(dirname(path), {recursive: true})
    const opened = await openSinkFile(path, 'csv', context.logger)
    const sink = new CsvSink(path, config, context, opened)
    try {
      sink.inspected = !(await sink.inspect())
    } catch (error) {
      await opened.handle.close()
      await opened.lock.release()
      throw error
    }
    return sink
  }

  private constructor(
    private readonly path: string,
    private readonly config: CsvSinkConfig,
    private readonly context: PluginContext,
    {lock, handle, positions, isNew}: OpenSinkFile,
  ) {
    this.lock = lock
    this.filePositions = positions
    this.file = new CsvFileWriter(path, handle, isNew, () => lock.holders() === 1)
    this.columns = config.columns
    this.rowOptions = {delimiter: config.delimiter, castString: formulaGuardCast(config)}
  }

  write(records: EtlRecord[], origin?: SinkOrigin): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`csv sink for ${this.path} is closed`))
    if (records.length === 0 && !origin) return Promise.resolve()
    return this.lock.serial(async () => {
      if (records.length > 0) await this.append(records)
      if (origin) this.filePositions.accept(origin)
    })
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.lock.serial(async () => {
      await this.file.appendQueued()
      if (this.config.fsync) await this.file.sync()
      // Only now that the rows are on disk may the positions say so.
      if (this.exactlyOnce()) await this.filePositions.record(await this.file.size(), this.config.fsync)
    })
  }

  positions(topic: string): Map<number, bigint> | undefined {
    return this.exactlyOnce() ? this.filePositions.forTopic(topic) : undefined
  }

  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      this.closed = true
      await this.lock.serial(() => this.file.close()).catch(() => undefined)
      await this.filePositions.close().catch(() => undefined)
      await this.lock.release()
    }
  }

  /** Queues the batch as one string, with at most one append before it. */
  private async append(records: EtlRecord[]): Promise<void> {
    const layout = this.layout ?? (this.layout = await this.settle(records[0]))
    for (const record of records) layout.ignored.note(record)
    await this.file.add(layout.writeRows(records))
  }

  private exactlyOnce(): boolean {
    return !(this.shared ||= this.lock.holders() > 1)
  }

  /** Adopts the header of a non-empty file and repairs a torn last line; true when the file is empty. */
  private async inspect(): Promise<boolean> {
    const size = await this.file.size()
    if (size === 0) return true
    if (this.config.header) this.adoptHeader(await this.file.header(this.config.delimiter))
    // A crash mid-write can leave a row without its newline; start on a fresh line rather than glue onto it.
    if (!(await this.file.endsWithLineBreak(size))) this.file.queue('\n')
    return false
  }

  private adoptHeader(existing: string[] | undefined): void {
    if (!existing) return
    const mismatch = this.columns && headerMismatch(this.path, existing, this.columns, this.config.delimiter)
    if (mismatch) throw new EtlError('ETL_CONFIG_INVALID', `csv: ${mismatch}`)
    this.columns ??= existing
  }

  /** Settles the columns and header when the first rows arrive. */
  private async settle(first: EtlRecord): Promise<Layout> {
    const empty = this.inspected ? false : await this.inspect()
    this.inspected = true
    const columns = (this.columns ??= Object.keys(first))
    if (empty && this.config.header) this.file.queue(stringify([columns], csvStringifyOptions(this.rowOptions)))
    return {
      writeRows: createCsvRowWriter(columns, this.rowOptions),
      ignored: new IgnoredFields(new Set(columns), this.context, this.path),
    }
  }
}
