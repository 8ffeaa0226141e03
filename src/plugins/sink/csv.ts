/**
 * Appends records to a CSV file. Existing data is never truncated: a re-run, or a second pipeline writing the same
 * file, continues it under the header it already has. With fsync on, flush() returns only once rows reached the disk,
 * so the offsets committed after it never point past data a power cut could lose.
 */
import {access, mkdir, open, type FileHandle} from 'node:fs/promises'
import {dirname} from 'node:path'
import {parse} from 'csv-parse/sync'
import {stringify, type Options as StringifyOptions} from 'csv-stringify/sync'
import {EtlError} from '../../runtime/errors.js'
import {definePlugin, type EtlRecord} from '../../runtime/plugin-types.js'

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

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** The header of a non-empty file (first line, CSV-decoded), or undefined when the first line is absurdly long. */
async function readHeader(handle: FileHandle, delimiter: string): Promise<string[] | undefined> {
  const chunks: Buffer[] = []
  for (let position = 0; position < HEADER_READ_LIMIT; ) {
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

/** Makes a new file's directory entry durable too; not possible (and not needed) on every platform. */
async function syncDirectory(path: string): Promise<void> {
  try {
    const dir = await open(path, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch {
    // Windows cannot open directories; its file system journals the entry with the file.
  }
}

export default definePlugin<'sink', CsvSinkConfig>({
  name: 'csv',
  kind: 'sink',
  summary: 'Appends records to a CSV file (header once, never truncates, fsync on flush)',
  configSchema: {
    type: 'object',
    description:
      'Appends one row per record. Columns a record lacks are written as empty cells; record fields that are not ' +
      'columns are ignored (each such field name is counted once as ignored_field and logged at debug level).',
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
      fsync: {
        type: 'boolean',
        description:
          'flush() waits until rows are on disk (fdatasync), so rows whose offsets were committed survive a power ' +
          'cut. Turn off for speed on throwaway output.',
        default: true,
        examples: [true, false],
      },
    },
    examples: [{path: 'data/btc-prices.csv', columns: ['timestamp', 'price_usd']}],
  },

  async create(config, context) {
    const path = context.resolvePath(config.path ?? `data/${context.pipelineName}.csv`)
    await mkdir(dirname(path), {recursive: true})
    const isNew = !(await exists(path))
    // a+ : appends only (O_APPEND) yet allows reading the existing header.
    const handle = await open(path, 'a+')
    let columns = config.columns
    let columnSet = new Set<string>()
    /** The columns rows are written with, once the first write settled them. */
    let ready: string[] | undefined
    const options: StringifyOptions = {delimiter: config.delimiter, eof: true, cast: {boolean: (value) => String(value)}}
    const ignored = new Set<string>()
    let inspected = false
    let pending: string[] = []
    let pendingBytes = 0
    let dirty = false
    let directorySynced = !isNew
    let closed = false
    let queue: Promise<unknown> = Promise.resolve()

    /** Runs file operations one at a time, in call order, even if the runtime does not await between calls. */
    const serial = <T>(operation: () => Promise<T>): Promise<T> => {
      const result = queue.then(operation)
      queue = result.catch(() => undefined)
      return result
    }

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

    const writePending = async () => {
      if (pending.length === 0) return
      const text = pending.join('')
      pending = []
      pendingBytes = 0
      await handle.appendFile(text, 'utf8')
      dirty = true
    }

    const noteIgnored = (record: EtlRecord) => {
      for (const key of Object.keys(record)) {
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
      throw error
    }

    /** Settles the columns and header when the first rows arrive. */
    const prepare = async (first: EtlRecord): Promise<string[]> => {
      const empty = inspected ? false : await inspect()
      inspected = true
      columns ??= Object.keys(first)
      columnSet = new Set(columns)
      if (empty && config.header) enqueue(stringify([columns], options))
      return columns
    }

    const flush = () => {
      if (closed) return Promise.resolve()
      return serial(async () => {
        await writePending()
        if (!config.fsync || !dirty) return
        await handle.datasync()
        dirty = false
        if (!directorySynced) {
          await syncDirectory(dirname(path))
          directorySynced = true
        }
      })
    }

    return {
      write(records) {
        if (closed) return Promise.reject(new Error(`csv sink for ${path} is closed`))
        if (records.length === 0) return Promise.resolve()
        return serial(async () => {
          const cols = ready ?? (ready = await prepare(records[0]))
          const rows = records.map((record) => {
            noteIgnored(record)
            return cols.map((column) => record[column])
          })
          // One stringify call and at most one write per batch: the per-record cost stays a few array operations.
          enqueue(stringify(rows, options))
          if (pendingBytes >= WRITE_THRESHOLD) await writePending()
        })
      },

      flush,

      async close() {
        if (closed) return
        await flush()
        closed = true
        await serial(() => handle.close())
      },
    }
  },
})
