/**
 * The rows in the spool, held in memory grouped by partition folder, ready to become one Parquet file per folder at
 * the next roll. The spool file is the durable copy; this is what start-up reads back from it.
 */
import type {SpoolValue} from './column-types.js'
import type {SpoolRow} from './row-encoder.js'

export class SpooledRows {
  private byPartition = new Map<string, SpoolValue[][]>()
  private rows = 0

  get count(): number {
    return this.rows
  }

  add(rows: readonly SpoolRow[]): void {
    for (const {partition, values} of rows) {
      let list = this.byPartition.get(partition)
      if (!list) this.byPartition.set(partition, (list = []))
      list.push(values)
    }
    this.rows += rows.length
  }

  /** Partition folders and their rows, in folder order (so file numbers follow the folders). */
  partitions(): [string, SpoolValue[][]][] {
    return [...this.byPartition].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  clear(): void {
    this.byPartition = new Map()
    this.rows = 0
  }
}
