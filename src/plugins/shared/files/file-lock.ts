/**
 * One writer per sink file: `<file>.lock` holds the writing process's id. A file sink keeps its rows and its
 * positions file in step, which two processes appending at once would break. A lock whose process is gone (killed,
 * crashed) is taken over. Sinks of one process may share a file: they share the lock and one queue of file operations.
 */
import {hostname} from 'node:os'
import {link, readFile, unlink, writeFile} from 'node:fs/promises'
import {EtlError} from '../../../sdk/index.js'

export interface FileLock {
  /** Sink instances of this process that hold the lock now (more than one: they share the file). */
  holders(): number
  /** Runs file operations of every holder one at a time, in call order. */
  serial<T>(operation: () => Promise<T>): Promise<T>
  /** Idempotent; the last holder's release removes the lock file. */
  release(): Promise<void>
}

interface Held {
  count: number
  queue: Promise<unknown>
}

/** Locks this process holds, by lock file path. */
const held = new Map<string, Held>()

interface Owner {
  pid: number
  host: string
}

export function lockPathOf(path: string): string {
  return `${path}.lock`
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readOwner(lockPath: string): Promise<{owner?: Owner; text: string} | undefined> {
  let text: string
  try {
    text = await readFile(lockPath, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const owner = JSON.parse(text) as Owner
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? {owner, text} : {text}
  } catch {
    return {text}
  }
}

/** Takes `<path>.lock` for this process, or throws ETL_SINK_LOCKED naming the live process that holds it. */
export async function lockFile(path: string): Promise<FileLock> {
  const lockPath = lockPathOf(path)
  let entry = held.get(lockPath)
  if (!entry) {
    await takeLock(path, lockPath)
    // Another holder in this process may have taken it while this one awaited.
    entry = held.get(lockPath) ?? {count: 0, queue: Promise.resolve()}
    held.set(lockPath, entry)
  }
  entry.count++
  const mine = entry
  let released = false
  return {
    holders: () => mine.count,
    serial(operation) {
      const result = mine.queue.then(operation)
      mine.queue = result.catch(() => undefined)
      return result
    },
    async release() {
      if (released) return
      released = true
      if (--mine.count > 0) return
      held.delete(lockPath)
      const current = await readOwner(lockPath).catch(() => undefined)
      if (current?.owner?.pid === process.pid && current.owner.host === hostname())
        await unlink(lockPath).catch(() => undefined)
    },
  }
}

async function takeLock(path: string, lockPath: string): Promise<void> {
  const me: Owner = {pid: process.pid, host: hostname()}
  // Written whole under another name, then linked into place: the lock file never exists half-written.
  const temp = `${lockPath}.${process.pid}.${Date.now()}`
  await writeFile(temp, JSON.stringify(me) + '\n')
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, lockPath)
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const current = await readOwner(lockPath)
      if (!current) continue // released meanwhile: try again
      const {owner} = current
      // Left by an instance of this process that never closed.
      const ours = owner?.pid === process.pid && owner.host === me.host
      if (owner && !ours && (owner.host !== me.host || isAlive(owner.pid))) {
        throw new EtlError(
          'ETL_SINK_LOCKED',
          `${path} is being written by process ${owner.pid}${owner.host === me.host ? '' : ` on ${owner.host}`} ` +
            `(lock file ${lockPath}); ` +
            'stop that run or write to another path. If that process is not etl, delete the lock file.',
        )
      }
      // Stale: its process is gone. Remove it only if it is still the one just read, then race for it again.
      const again = await readOwner(lockPath)
      if (again?.text === current.text) await unlink(lockPath).catch(() => undefined)
    }
    throw new EtlError(
      'ETL_SINK_LOCKED',
      `${path}: could not take the lock file ${lockPath}: other processes keep taking it`,
    )
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}
