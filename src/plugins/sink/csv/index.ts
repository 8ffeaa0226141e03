/**
 * Appends records to a CSV file. A re-run, or a second pipeline writing the same file, continues it under the header
 * it already has. Exactly-once in the process stage: each flush records, in `<file>.offsets.json`, the offsets whose
 * rows are in the file and the file's length (see shared/file-sink/positions-file.ts); at start-up bytes past that
 * length (rows of inputs that will be delivered again, or a torn last row) are cut off. With fsync on, flush() returns
 * only once rows and positions reached the disk, so this also holds across a power cut. One process writes a file at a
 * time (`<file>.lock`).
 */
import {mkdir, type FileHandle} from 'node:fs/promises'
import {dirname} from 'node:path'
import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {definePlugin, EtlError, type EtlRecord} from '../../../sdk/index.js'
import {formulaGuardCast} from './csv-formula-guard.js'
import {createCsvRowWriter, csvStringifyOptions, type CsvRowWriter} from './csv-row-writer.js'
import {openSinkFile} from './open-sink-file.js'
import {syncDirectory} from './positions-file.js'

export interface CsvSinkConfig {
  path?: string
  columns?: string[]
  header: boolean
  delimiter: string
  fsync: boolean
}

/** Rows are buffered up to this size between flushes: few large writes instead of one syscall per small batch. */
const WRITE_THRESHOLD = 64 * 1024
const HEADER_READ_LIMIT = 1024 * 1024

/** The header of a non-empty file (first line, CSV-decoded), or undefined when the first line is absurdly long. */
async function readHeader(handle: FileHandle, delimiter: string): Promise<string[] | undefined> {
  const chunks: Buffer[] = []
  for (let position = 0; position < HEADER_READ_LIMIT;) {
    const {bytesRead, buffer} = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, position)
    if (bytesRead === 0) break
    const chunk = buffer.subarray(0, bytesRead)
    const end = chunk.indexOf(0x0a)
    chunks.push(end < 0 ? chunk : chunk.subarray(0, end))
    if (end >= 0) break
    position += bytesRead
  }
  const line = Buffer.concat(chunks).toString('utf8').replace(/\r$/, '')
  const [header] = parse(line, {delimiter, bom: true, relax_quotes: true}) as string[][]
  return header
}

export default definePlugin<'sink', CsvSinkConfig>({
  name: 'csv',
  kind: 'sink',
  summary: 'Appends records to a CSV file, exactly once (header once, fsync on flush)',
  configSchema: {
    type: 'object',
    description:
      'Appends one row per record. Columns a record lacks are written as empty cells; record fields that are not ' +
      'columns are ignored (each such field name is counted once as ignored_field and logged at debug level). ' +
      'Exactly-once: <path>.offsets.json records which input offsets the rows cover; after a crash the rows of inputs ' +
      'past them are cut off and written again, never twice. One process writes a file at a time (<path>.lock).',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description:
          'File to append to, relative to the working directory; folders are created. Default: data/<pipeline name>.csv.',
        examples: ['data/btc-prices.csv', '/var/lib/etl/prices.csv'],
      },
      columns: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        minItems: 1,
        uniqueItems: true,
        description:
          "Columns in order. Default: the existing file's header when appending to a file that has one, else the " +
          'fields of the first record written. When set and the file already has a different header, start-up fails ' +
          'rather than mixing layouts in one file.',
        examples: [['timestamp', 'symbol', 'price_usd']],
      },
      header: {
        type: 'boolean',
        description: 'Write a header row when the file is new or empty (never again when appending).',
        default: true,
        examples: [true, false],
      },
      delimiter: {
        type: 'string',
        minLength: 1,
        maxLength: 4,
        description: 'Cell separator.',
        default: ',',
        examples: [',', ';', '\t'],
      },
      neutralizeFormulas: {
        type: 'boolean',
        description:
          'Text cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) get a ' +
          'leading \' so they show as text (CSV injection). Numbers, and text that is a plain number like "-5.2", stay ' +
          'as they are. Turn off only for files no spreadsheet opens.',
        default: true,
        examples: [true, false],
      },
      fsync: {
        type: 'boolean',
        description:
          'flush() waits until rows and positions are on disk (fdatasync), so rows whose offsets were committed survive ' +
          'a power cut. Off: still exactly-once when the process is killed, not when the machine loses power.',
        default: true,
        examples: [true, false],
      },
    },
    examples: [{path: 'data/btc-prices.csv', columns: ['timestamp', 'price_usd']}],
  },

  async create(config, context) {
    const path = context.resolvePath(config.path ?? `data/${context.pipelineName}.csv`)
    await mkdir(dirname(path), {recursive: true})
    const {lock, handle, positions, isNew} = await openSinkFile(path, 'csv', context.logger)
    // Sinks of this process that share the file cannot keep one positions file for both: at-least-once for them.
    let shared = false
    const exactlyOnce = () => !(shared ||= lock.holders() > 1)
    let columns = config.columns
    let columnSet = new Set<string>()
    const rowOptions = {delimiter: config.delimiter, castString: formulaGuardCast(config)}
    /** Writes rows with the columns the first write settled. */
    let writeRows: CsvRowWriter | undefined
    const ignored = new Set<string>()
    let inspected = false
    let pending: string[] = []
    let pendingBytes = 0
    let dirty = false
    let directorySynced = !isNew
    let closed = false
    /** Length to cut the file back to before the next append: an append failed and its partial row is still there. */
    let repairTo: number | undefined
    /** Runs file operations one at a time, in call order, even if the runtime does not await between calls. */
    const serial = lock.serial

    const enqueue = (text: string) => {
      pending.push(text)
      pendingBytes += text.length
    }

    /** Adopts the header of a non-empty file and repairs a torn last line; true when the file is empty. */
    const inspect = async (): Promise<boolean> => {
      const {size} = await handle.stat()
      if (size === 0) return true
      if (config.header) {
        const existing = await readHeader(handle, config.delimiter)
        if (existing && columns && existing.join('\u0000') !== columns.join('\u0000')) {
          throw new EtlError(
            'ETL_CONFIG_INVALID',
            `csv: ${path} already has the header ${existing.join(config.delimiter)}, which differs from columns ` +
              `${columns.join(config.delimiter)}; write to another file or make columns match`,
          )
        }
        columns ??= existing
      }
      const last = Buffer.alloc(1)
      await handle.read(last, 0, 1, size - 1)
      // A crash mid-write can leave a row without its newline; start on a fresh line rather than glue onto it.
      if (last[0] !== 0x0a) enqueue('\n')
      return false
    }

    /** Appends every pending row, or none: a failed append is undone and its rows stay pending for the next try. */
    const writePending = async () => {
      if (pending.length === 0) return
      if (repairTo !== undefined) {
        await handle.truncate(repairTo)
        repairTo = undefined
      }
      const data = Buffer.from(pending.join(''), 'utf8')
      const start = (await handle.stat()).size
      try {
        await handle.appendFile(data)
      } catch (error) {
        repairTo = start
        await handle.truncate(start).then(
          () => (repairTo = undefined),
          () => undefined,
        )
        throw error
      }
      pending = []
      pendingBytes = 0
      dirty = true
    }

    const noteIgnored = (record: EtlRecord) => {
      // for…in rather than Object.keys: no array per record on this per-record path.
      for (const key in record) {
        if (columnSet.has(key) || ignored.has(key)) continue
        ignored.add(key)
        context.count('ignored_field')
        context.logger.debug(`field "${key}" is not a column; ignoring it`, {path})
      }
    }

    try {
      // An empty file is looked at again at the first write (another sink may have written a header meanwhile).
      inspected = !(await inspect())
    } catch (error) {
      await handle.close()
      await lock.release()
      throw error
    }

    /** Settles the columns and header when the first rows arrive. */
    const prepare = async (first: EtlRecord): Promise<CsvRowWriter> => {
      const empty = inspected ? false : await inspect()
      inspected = true
      columns ??= Object.keys(first)
      columnSet = new Set(columns)
      if (empty && config.header) enqueue(stringify([columns], csvStringifyOptions(rowOptions)))
      return createCsvRowWriter(columns, rowOptions)
    }

    const flush = () => {
      if (closed) return Promise.resolve()
      return serial(async () => {
        await writePending()
        if (config.fsync && dirty) {
          await handle.datasync()
          dirty = false
          if (!directorySynced) {
            await syncDirectory(dirname(path))
            directorySynced = true
          }
        }
        // Only now that the rows are on disk may the positions say so.
        if (exactlyOnce()) await positions.record((await handle.stat()).size, config.fsync)
      })
    }

    return {
      write(records, origin) {
        if (closed) return Promise.reject(new Error(`csv sink for ${path} is closed`))
        if (records.length === 0 && !origin) return Promise.resolve()
        return serial(async () => {
          if (records.length > 0) {
            const write = writeRows ?? (writeRows = await prepare(records[0]))
            for (const record of records) noteIgnored(record)
            // One string and at most one write per batch.
            const text = write(records)
            // Rows pending from earlier calls go out before this call's are queued: if that fails, this call had no
            // effect and may simply be made again.
            if (pendingBytes + text.length >= WRITE_THRESHOLD) await writePending()
            enqueue(text)
          }
          if (origin) positions.accept(origin)
        })
      },

      flush,

      positions(topic) {
        return exactlyOnce() ? positions.forTopic(topic) : undefined
      },

      async close() {
        if (closed) return
        try {
          await flush()
        } finally {
          closed = true
          await serial(() => handle.close()).catch(() => undefined)
          await lock.release()
        }
      },
    }
  },
})
