/**
 * Replacing a small bookkeeping file so that a crash at any moment leaves either the old or the new content, never a
 * mix: file sinks keep their exactly-once positions this way (the csv sink's `.offsets.json`, the parquet sink's lake
 * state). Also the folder fsync that makes a new or renamed directory entry survive a power cut.
 */
import {open, rename} from 'node:fs/promises'
import {dirname} from 'node:path'

/** Writes `text` to `<path>.tmp`, renames it over `path`; with `sync`, durably (file and folder fsynced). */
export async function replaceFileAtomically(path: string, text: string, sync: boolean): Promise<void> {
  const temp = `${path}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(text, 'utf8')
    if (sync) await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, path)
  if (sync) await syncDirectory(dirname(path))
}

/** Makes a new or renamed directory entry durable; not possible (and not needed) on every platform. */
export async function syncDirectory(path: string): Promise<void> {
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
