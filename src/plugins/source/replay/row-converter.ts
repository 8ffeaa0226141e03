/**
 * Turns the replay file's rows into canonical price records, and reports the rows that make none: each is counted as
 * rejected_row, and the first few are logged with their line number.
 */
import {isoTime, type EtlRecord, type PluginContext} from '../../../sdk/index.js'
import {parseNumber, parseTime, type CsvRow} from './csv-rows.js'
import type {ReplayConfig} from './replay-config.js'

/** Enough line numbers to find a systematic problem without flooding the log on a file full of bad rows. */
const MAX_ROW_WARNINGS = 10

/** A row's record and its event time (ms, shifted for the loop pass). */
export interface Converted {
  record: EtlRecord
  time: number
}

export class RowConverter {
  private warnings = 0
  private readonly vs: string
  private readonly priceField: string
  /** extraColumns, without those a canonical field would be overwritten by. */
  private readonly extras: string[]

  constructor(
    private readonly config: ReplayConfig,
    private readonly context: Pick<PluginContext, 'count' | 'logger'>,
    private readonly path: string,
  ) {
    this.vs = config.vsCurrency.toLowerCase()
    this.priceField = `price_${this.vs}`
    const canonical = new Set(['symbol', this.priceField, 'timestamp', 'coin_id', 'vs_currency', 'source'])
    this.extras = config.extraColumns.filter((column) => !canonical.has(column))
  }

  /** The record for one row plus its event time, or undefined (after reporting) when the row is unusable. */
  convert(row: CsvRow, shiftMs: number): Converted | undefined {
    const {config} = this
    const parsed = parseTime(row.values[config.timestampColumn], config.timestampUnit)
    if (parsed === undefined) return this.badCell(row, config.timestampColumn)
    const price = parseNumber(row.values[config.priceColumn])
    if (price === undefined) return this.badCell(row, config.priceColumn)
    const time = parsed + shiftMs
    const record: EtlRecord = {
      symbol: config.symbol,
      [this.priceField]: price,
      timestamp: isoTime(time),
      coin_id: config.coinId,
      vs_currency: this.vs,
      source: 'replay',
    }
    for (const column of this.extras) {
      const value = parseNumber(row.values[column])
      if (value === undefined) return this.badCell(row, column)
      record[column] = value
    }
    return {record, time}
  }

  /** Counts a row that makes no record; logs it while few were. */
  reject(line: number, reason: string): void {
    const {count, logger} = this.context
    count('rejected_row')
    this.warnings++
    if (this.warnings <= MAX_ROW_WARNINGS) logger.warn(`skipping row at line ${line}: ${reason}`, {path: this.path})
    else if (this.warnings === MAX_ROW_WARNINGS + 1)
      logger.warn('more rows rejected; counting them without logging', {path: this.path})
  }

  private badCell(row: CsvRow, column: string): undefined {
    this.reject(row.line, `column ${column} has no usable value: ${JSON.stringify(row.values[column] ?? null)}`)
    return undefined
  }
}
