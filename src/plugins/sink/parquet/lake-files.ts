/**
 * The lake's Parquet files on disk. A file is written whole under `_etl/tmp/` (no reader globbing `**\/*.parquet`
 * sees a `.parquet.tmp` there), fsynced, and only then renamed into its partition folder, so a reader never sees a
 * half file and a crash leaves at most a temporary file, which start-up removes. Renaming within one file system is
 * atomic; the folders are fsynced so the new names survive a power cut.
 */
import {randomBytes} from 'node:crypto'
import {mkdir, open, readdir, rename, rm, stat} from 'node:fs/promises'
import {dirname, join, relative, sep} from 'node:path'
import {syncDirectory} from '../../shared/files/atomic-file.js'
import type {PendingRename} from './lake-state.js'
import {TEMP_DIR} from './lake-state.js'

/** Temporary and final names of the `number`th file of the lake, in folder `partition` ('' for the root). */
export function fileNames(partition: string, number: number): PendingRename {
  const name = `part-${String(number).padStart(8, '0')}-${randomBytes(4).toString('hex')}.parquet`
  return {temp: join(TEMP_DIR, `${name}.tmp`), final: partition === '' ? name : join(partition, name)}
}

/** Writes `bytes` to the temporary file, durably when `sync`. */
export async function writeTemp(root: string, temp: string, bytes: Uint8Array, sync: boolean): Promise<void> {
  const handle = await open(join(root, temp), 'w')
  try {
    await handle.writeFile(bytes)
    if (sync) await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Whether a pending rename names files inside the lake (a state file edited by hand could name any path). */
export function insideLake(pending: PendingRename): boolean {
  const escapes = (path: string) => path.split(/[\\/]/).some((part) => part === '..') || path.startsWith('/')
  return !escapes(pending.temp) && !escapes(pending.final) && pending.temp.startsWith(TEMP_DIR + sep)
}

/** The folders from the root down to `folder` (relative), deepest last: what a new file's name depends on. */
function foldersDown(root: string, folder: string): string[] {
  const folders = [root]
  let path = root
  for (const part of folder === '' || folder === '.' ? [] : folder.split(sep)) folders.push((path = join(path, part)))
  return folders
}

/**
 * Renames each pending file whose temporary file still exists into place (one whose temporary file is gone was
 * renamed before); fsyncs the folders that got new entries. Returns how many were renamed.
 */
export async function renamePending(root: string, pending: readonly PendingRename[], sync: boolean) {
  const touched = new Set<string>()
  let renamed = 0
  for (const entry of pending) {
    const from = join(root, entry.temp)
    if (!(await stat(from).catch(() => undefined))) continue
    const folder = dirname(entry.final)
    await mkdir(join(root, folder), {recursive: true})
    await rename(from, join(root, entry.final))
    for (const path of foldersDown(root, folder)) touched.add(path)
    renamed++
  }
  if (sync) for (const folder of touched) await syncDirectory(folder)
  return renamed
}

/** Removes every temporary file (left by a roll that crashed or failed before recording them); their names. */
export async function removeTemps(root: string, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const folder = join(root, TEMP_DIR)
  await mkdir(folder, {recursive: true})
  const removed: string[] = []
  for (const name of await readdir(folder)) {
    const path = relative(root, join(folder, name))
    if (keep.has(path)) continue
    await rm(join(folder, name), {force: true, recursive: true})
    removed.push(path)
  }
  return removed
}
