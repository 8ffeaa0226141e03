/**
 * Opens an append-only sink file for exactly-once writing: takes its lock (file-lock.ts), reads its positions
 * (positions-file.ts) and cuts off the bytes written after the last recorded position, which belong to inputs the
 * process stage delivers again (or to a row a crash tore).
 */
import {access, open, type FileHandle} from 'node:fs/promises'
import type {Logger} from '../../../sdk/index.js'
import {lockFile, type FileLock} from '../../shared/files/file-lock.js'
import {FilePositions, readPositions, removePositions} from './positions-file.js'

export interface OpenSinkFile {
  lock: FileLock
  /** Opened a+: appends only (O_APPEND), yet the existing content (a header) can be read. */
  handle: FileHandle
  positions: FilePositions
  /** The file did not exist before: its directory entry still has to be made durable. */
  isNew: boolean
}

export async function openSinkFile(path: string, sinkName: string, logger: Logger): Promise<OpenSinkFile> {
  const lock = await lockFile(path)
  let handle: FileHandle | undefined
  try {
    // Sinks of this process that share the file cannot keep one positions file for both: at-least-once for them.
    const shared = lock.holders() > 1
    if (shared) {
      logger.warn(
        `another ${sinkName} sink of this process writes ${path} too: it gets rows at least once, not exactly once`,
      )
      await removePositions(path)
    }
    const positions = new FilePositions(path, logger, shared ? undefined : await readPositions(path, logger))
    const isNew = await access(path).then(
      () => false,
      () => true,
    )
    handle = await open(path, 'a+')
    const {size} = await handle.stat()
    const cut = positions.reconcile(size)
    if (cut !== undefined) {
      await handle.truncate(cut)
      logger.info(
        `removed the last ${size - cut} byte(s) of ${path}: rows written after the last recorded position, ` +
          'whose input is delivered again (or a row torn by a crash)',
      )
    }
    return {lock, handle, positions, isNew}
  } catch (error) {
    await handle?.close()
    await lock.release()
    throw error
  }
}
