/**
 * Turns records into spool rows: the partition folder and the column values, converted to their types. Columns are
 * configured, or settled from the first record written and then kept for the lake's life (the state file records
 * them), so every file of a lake has one schema. A record that cannot be converted is reported, not thrown: the sink
 * dead-letters it and goes on with the batch.
 */
import type {EtlRecord} from '../../../sdk/index.js'
import {inferColumnType, toSpoolValue, Unconvertible, type Column, type SpoolValue} from './column-types.js'
import {partitionPath, type PartitionLevel} from './partition-path.js'
import type {TimestampUnit} from './timestamp-value.js'

/** One row as spooled: its partition folder ('' without partitioning) and its values in column order. */
export interface SpoolRow {
  partition: string
  values: SpoolValue[]
}

/** Columns for a first record: its fields in order, typed by their values. */
export function inferColumns(record: EtlRecord, unit: TimestampUnit): Column[] {
  return Object.entries(record).map(([name, value]) => {
    const type = inferColumnType(value)
    return type === 'timestamp' ? {name, type, unit} : {name, type}
  })
}

export class RowEncoder {
  private readonly names: ReadonlySet<string>
  private readonly ignored = new Set<string>()

  constructor(
    readonly columns: readonly Column[],
    private readonly levels: readonly PartitionLevel[],
    /** Called once per record field that is not a column (the sink counts it). */
    private readonly onIgnored: (field: string) => void,
  ) {
    this.names = new Set(columns.map((column) => column.name))
  }

  /** The record's spool row, or why it cannot be written. */
  encode(record: EtlRecord): SpoolRow | Unconvertible {
    const partition = partitionPath(record, this.levels)
    if (partition instanceof Error) return new Unconvertible(partition.message)
    const values: SpoolValue[] = []
    for (const column of this.columns) {
      const value = toSpoolValue(column, record[column.name])
      if (value instanceof Unconvertible) return value
      values.push(value)
    }
    this.noteIgnored(record)
    return {partition, values}
  }

  private noteIgnored(record: EtlRecord): void {
    for (const key in record) {
      if (this.names.has(key) || this.ignored.has(key)) continue
      this.ignored.add(key)
      this.onIgnored(key)
    }
  }
}

/** A spool row as one line of the spool file. */
export function spoolLine(row: SpoolRow): string {
  return JSON.stringify([row.partition, ...row.values]) + '\n'
}

/** A spool line back as a row; throws when the line is not one of `width` values. */
export function parseSpoolLine(line: string, width: number): SpoolRow {
  const parsed = JSON.parse(line) as unknown
  if (!Array.isArray(parsed) || parsed.length !== width + 1 || typeof parsed[0] !== 'string')
    throw new Error(`not a spool row of ${width} column(s)`)
  return {partition: parsed[0], values: parsed.slice(1) as SpoolValue[]}
}
