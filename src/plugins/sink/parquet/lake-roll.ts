/**
 * The first half of a roll: the spooled rows of each partition folder become one Parquet file, written and fsynced
 * under a temporary name. Nothing is visible and nothing is recorded yet; the caller records the renames together
 * with the emptied spool in the state file, then renames (lake-files.ts). A failure here removes what was written.
 */
import {join} from 'node:path'
import {syncDirectory} from '../../shared/files/atomic-file.js'
import type {Column} from './column-types.js'
import {fileNames, removeTemps, writeTemp} from './lake-files.js'
import type {PendingRename} from './lake-state.js'
import {TEMP_DIR} from './lake-state.js'
import type {Compression} from './parquet-config.js'
import type {SpooledRows} from './spooled-rows.js'

export interface RollInput {
  root: string
  columns: readonly Column[]
  rows: SpooledRows
  /** Number of the first file. */
  nextFile: number
  compression: Compression
  fsync: boolean
}

/** Writes the temporary files; returns their renames (one per partition folder). */
export async function writeRollFiles(input: RollInput): Promise<PendingRename[]> {
  const pending: PendingRename[] = []
  let number = input.nextFile
  try {
    for (const [partition, rows] of input.rows.partitions()) {
      const names = fileNames(partition, number++)
      // Imported lazily: the writer library loads only in pipelines that write Parquet, and only at the first roll.
      const {encodeParquet} = await import('./parquet-encode.js')
      await writeTemp(input.root, names.temp, await encodeParquet(input.columns, rows, input.compression), input.fsync)
      pending.push(names)
    }
    if (input.fsync) await syncDirectory(join(input.root, TEMP_DIR))
  } catch (error) {
    await removeTemps(input.root).catch(() => undefined)
    throw error
  }
  return pending
}
