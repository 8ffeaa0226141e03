/**
 * Replays a CSV of price history (by default the bundled daily BTC/USD candles) as canonical price records, either as
 * fast as the topic accepts them or paced by the gaps between event timestamps. The file is streamed, never loaded
 * whole, so multi-gigabyte histories replay in constant memory. Every emit carries a checkpoint (the file's identity,
 * the loop pass and the last line consumed), so a restarted run continues right after the last row in the topic.
 */
import {access} from 'node:fs/promises'
import {basename} from 'node:path'
import {fileURLToPath} from 'node:url'
import {
  definePlugin,
  EtlError,
  type EtlRecord,
  isoTime,
  messageOf,
  type PluginContext,
  sleep,
} from '../../../sdk/index.js'
import {parseNumber, parseTime, readCsvHeader, readCsvRowBatches, type CsvRow as Row} from './csv-rows.js'
import {fileIdentity, START, unusable, type Position, type ReplayCheckpoint} from './replay-checkpoint.js'

export interface ReplayConfig {
  path: string
  symbol: string
  coinId: string
  vsCurrency: string
  timestampColumn: string
  timestampUnit: 's' | 'ms' | 'iso'
  priceColumn: string
  extraColumns: string[]
  speed: number
  batchSize: number
  limit?: number
  loop: number
}

const DEFAULT_PATH = 'data/btcusd-1d-2011-2025.csv'
/** The data/ folder shipped in the package (same relative place from src/ and dist/). */
const BUNDLED_DATA = new URL('../../../../data/', import.meta.url)
/** Enough line numbers to find a systematic problem without flooding the log on a file full of bad rows. */
const MAX_ROW_WARNINGS = 10

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** The file to read: as configured, or the packaged copy when the default is used outside the project folder. */
async function locate(config: ReplayConfig, context: PluginContext): Promise<string> {
  const resolved = context.resolvePath(config.path)
  if (await exists(resolved)) return resolved
  const bundled = fileURLToPath(new URL(basename(DEFAULT_PATH), BUNDLED_DATA))
  if (config.path === DEFAULT_PATH && (await exists(bundled))) return bundled
  throw new EtlError(
    'ETL_CONFIG_INVALID',
    `replay: path "${config.path}" (${resolved}) does not exist or is unreadable`,
  )
}

export default definePlugin<'source', ReplayConfig>({
  name: 'replay',
  kind: 'source',
  summary:
    'Replays a CSV of price history (default: bundled daily BTC/USD 2011–2025) as price records, optionally paced',
  configSchema: {
    type: 'object',
    description:
      'Streams a CSV file and emits one canonical price record per row: {symbol, price_<vs>, timestamp (ISO), coin_id, ' +
      "vs_currency, source: 'replay', …extraColumns}. Rows with an unparseable time or number are logged with their " +
      'line number, counted as rejected_row and skipped.',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description: 'CSV file with a header row, relative to the working directory. The default ships with etl.',
        default: DEFAULT_PATH,
        examples: [DEFAULT_PATH, 'data/btcusd-5m-2011.csv'],
      },
      symbol: {
        type: 'string',
        minLength: 1,
        description: 'Value of the symbol field.',
        default: 'BTC',
        examples: ['BTC'],
      },
      coinId: {
        type: 'string',
        minLength: 1,
        description: 'Value of the coin_id field.',
        default: 'bitcoin',
        examples: ['bitcoin'],
      },
      vsCurrency: {
        type: 'string',
        pattern: '^[A-Za-z0-9_]+$',
        description: 'Quote currency: names the price field (price_<vsCurrency>, lower case) and fills vs_currency.',
        default: 'usd',
        examples: ['usd', 'eur'],
      },
      timestampColumn: {
        type: 'string',
        minLength: 1,
        description: 'Column holding the event time.',
        default: 'unix_timestamp',
        examples: ['unix_timestamp', 'timestamp'],
      },
      timestampUnit: {
        type: 'string',
        enum: ['s', 'ms', 'iso'],
        description:
          'How timestampColumn is written: epoch seconds, epoch milliseconds, or ISO 8601 text (text without a zone, ' +
          'like "2011-08-18 00:00:00", is read as UTC).',
        default: 's',
        examples: ['s', 'iso'],
      },
      priceColumn: {
        type: 'string',
        minLength: 1,
        description: 'Column copied into price_<vsCurrency>.',
        default: 'close',
        examples: ['close', 'open'],
      },
      extraColumns: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        uniqueItems: true,
        description:
          'Further columns copied into each record under their own names, as numbers (a row where one is not a ' +
          'number is rejected). They never overwrite the canonical fields.',
        default: ['open', 'high', 'low', 'volume'],
        examples: [['open', 'high', 'low', 'volume'], []],
      },
      speed: {
        type: 'number',
        minimum: 0,
        description:
          'Pace: 0 = as fast as the topic accepts; N = N× real time, following the gaps between event timestamps ' +
          '(1 = real time, 300 = five minutes per second, 86400 = one day per second).',
        default: 0,
        examples: [0, 86400, 300],
      },
      batchSize: {
        type: 'integer',
        minimum: 1,
        maximum: 100000,
        description: 'Most records handed to the topic at once (when paced, records that fall due together).',
        default: 500,
        examples: [500],
      },
      limit: {
        type: 'integer',
        minimum: 1,
        description: 'Stop after this many records in total (all loops together). Unset = no limit.',
        examples: [100],
      },
      loop: {
        type: 'integer',
        minimum: 0,
        description:
          'How many times to play the file (0 = endlessly, until stopped). Each repeat shifts timestamps forward by ' +
          "the file's span plus one step (the gap between its first two rows), so event time keeps increasing.",
        default: 1,
        examples: [1, 3, 0],
      },
    },
  },

  // As fast as Kafka takes records: with `worker: auto` its stage gets a thread of its own next to the process stage.
  isBulk: (config) => config.speed === 0,

  async create(config, context) {
    const path = await locate(config, context)
    const vs = config.vsCurrency.toLowerCase()
    const priceField = `price_${vs}`
    const header = await readCsvHeader(path).catch((error: unknown) => {
      throw new EtlError('ETL_CONFIG_INVALID', `replay: cannot read ${path}: ${messageOf(error)}`, {cause: error})
    })
    const needed = [config.timestampColumn, config.priceColumn, ...config.extraColumns]
    const missing = needed.filter((column) => !header.includes(column))
    if (missing.length > 0) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `replay: ${path} has no column ${missing.map((c) => `"${c}"`).join(', ')} (its header: ${header.join(', ')})`,
      )
    }
    // The settings that decide which record a row becomes: a checkpoint taken under others is not continued.
    const reads = JSON.stringify([
      config.symbol,
      config.coinId,
      vs,
      config.timestampColumn,
      config.timestampUnit,
      config.priceColumn,
      config.extraColumns,
    ])
    let identity = await fileIdentity(path)
    let resumeFrom: Position = START
    const canonical = new Set(['symbol', priceField, 'timestamp', 'coin_id', 'vs_currency', 'source'])
    const extras = config.extraColumns.filter((column) => !canonical.has(column))
    let warnings = 0

    const reject = (line: number, reason: string) => {
      context.count('rejected_row')
      warnings++
      if (warnings <= MAX_ROW_WARNINGS) context.logger.warn(`skipping row at line ${line}: ${reason}`, {path})
      else if (warnings === MAX_ROW_WARNINGS + 1)
        context.logger.warn('more rows rejected; counting them without logging', {path})
    }
    const badCell = (row: Row, column: string): undefined => {
      reject(row.line, `column ${column} has no usable value: ${JSON.stringify(row.values[column] ?? null)}`)
      return undefined
    }

    /** The record for one row plus its event time, or undefined (after reporting) when the row is unusable. */
    const toRecord = (row: Row, shiftMs: number): {record: EtlRecord; time: number} | undefined => {
      const parsed = parseTime(row.values[config.timestampColumn], config.timestampUnit)
      if (parsed === undefined) return badCell(row, config.timestampColumn)
      const price = parseNumber(row.values[config.priceColumn])
      if (price === undefined) return badCell(row, config.priceColumn)
      const time = parsed + shiftMs
      const record: EtlRecord = {
        symbol: config.symbol,
        [priceField]: price,
        timestamp: isoTime(time),
        coin_id: config.coinId,
        vs_currency: vs,
        source: 'replay',
      }
      for (const column of extras) {
        const value = parseNumber(row.values[column])
        if (value === undefined) return badCell(row, column)
        record[column] = value
      }
      return {record, time}
    }

    return {
      async restore(state) {
        identity = await fileIdentity(path)
        const problem = unusable(state, identity, reads)
        if (problem) {
          context.logger.warn(`ignoring the saved replay position: ${problem}; replaying from the start`, {path})
          return
        }
        const {pass, line, produced, shiftMs, first, second, last} = state as ReplayCheckpoint
        resumeFrom = {pass, line, produced, shiftMs, first, second, last}
        const done = (config.loop > 0 && pass >= config.loop) || produced >= (config.limit ?? Infinity)
        if (done)
          context.logger.info(
            'this replay already ran to its end; nothing left to emit (change or touch the file to replay it again)',
            {path},
          )
        else
          context.logger.info(
            `resuming the replay after line ${line}${config.loop === 1 ? '' : ` of pass ${pass + 1}`}`,
            {path, produced},
          )
      },

      async run(emit, runSignal) {
        const signal = AbortSignal.any([runSignal, context.signal])
        // Checked for every row: the composite signal's own `aborted` re-checks its sources on each read.
        let stopped = signal.aborted
        signal.addEventListener('abort', () => (stopped = true), {once: true})
        const limit = config.limit ?? Infinity
        let batch: EtlRecord[] = []
        let anchor: {wall: number; event: number} | undefined
        const position: Position = {...resumeFrom}
        let emitted: string | undefined
        /** Emits the batch with the position after it; with no records, only when the position moved. */
        const send = async () => {
          if (stopped) return
          const checkpoint: ReplayCheckpoint = {...position, file: identity, reads}
          const text = JSON.stringify(checkpoint)
          if (batch.length === 0 && text === emitted) return
          const records = batch
          batch = []
          emitted = text
          await emit(records, checkpoint)
        }

        while (config.loop === 0 || position.pass < config.loop) {
          if (position.produced >= limit) return
          const skipTo = position.line
          const batches = readCsvRowBatches(path, signal, (line, reason) => {
            if (line > skipTo) reject(line, reason)
          })
          // One await per file chunk; the per-row stop check is the one the row-at-a-time reader made.
          for await (const rows of batches) {
            for (const row of rows) {
              if (stopped) return
              if (row.line <= skipTo) continue // consumed by an earlier run
              const converted = toRecord(row, position.shiftMs)
              if (!converted) {
                position.line = row.line
                continue
              }
              const {record, time} = converted
              if (position.first === undefined) position.first = time
              else if (position.second === undefined) position.second = time
              if (config.speed > 0) {
                anchor ??= {wall: performance.now(), event: time}
                // Due time is measured from one fixed anchor, so time spent in emit never accumulates as drift.
                const wait = anchor.wall + (time - anchor.event) / config.speed - performance.now()
                if (wait > 0) {
                  await send()
                  await sleep(wait, signal)
                }
              }
              if (stopped) return
              batch.push(record)
              position.produced++
              position.line = row.line
              position.last = time
              if (batch.length >= config.batchSize || position.produced >= limit) await send()
              if (position.produced >= limit || stopped) return
            }
          }
          if (stopped) return
          const {first, second, last} = position
          if (first === undefined || last === undefined) {
            await send()
            context.logger.warn('the file produced no records; stopping', {path, pass: position.pass + 1})
            return
          }
          // One typical step beyond the span, so the next pass starts where the file's next row would have been.
          Object.assign(position, {
            pass: position.pass + 1,
            line: 0,
            first: undefined,
            second: undefined,
            last: undefined,
          })
          position.shiftMs += last - first + (second === undefined ? 1000 : second - first)
          await send() // the rest of this pass, with a position that says the pass is complete
        }
      },
    }
  },
})
