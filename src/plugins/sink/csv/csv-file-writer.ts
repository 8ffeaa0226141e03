/**
 * The csv sink's file handle: text queued between flushes goes out in few large appends, each of which either lands
 * whole or is undone, and sync() makes what was appended durable (the file's new directory entry too).
 */
import type {FileHandle} from 'node:fs/promises'
import {dirname} from 'node:path'
import {readHeader} from './csv-header.js'
import {syncDirectory} from '../../shared/files/atomic-file.js'

/** Rows are buffered up to this size between flushes: few large writes instead of one syscall per small batch. */
const WRITE_THRESHOLD = 64 * 1024

export class CsvFileWriter {
  private queued: string[] = []
  private queuedLength = 0
  /** Appended since the last sync. */
  private dirty = false
  private directorySynced: boolean
  /** Length to cut the file back to before the next append: an append failed and its partial row is still there. */
  private repairTo: number | undefined
  /** The file's length as of this writer's last append, kept while it is the file's only writer (saves a stat). */
  private length: number | undefined

  /**
   * `isNew`: the file did not exist before, so its directory entry must be made durable at the first sync.
   * `exclusive`: whether this writer is the only one of the file right now (other sinks of the process may share it).
   */
  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    isNew: boolean,
    private readonly exclusive: () => boolean,
  ) {
    this.directorySynced = !isNew
  }

  /** Queues text for the next append. */
  queue(text: string): void {
    this.queued.push(text)
    this.queuedLength += text.length
  }

  /**
   * Queues text, after appending what is queued when the text would take the queue past WRITE_THRESHOLD. Earlier
   * text goes out before this text is queued: if that append fails, this call had no effect and may simply be made
   * again.
   */
  async add(text: string): Promise<void> {
    if (this.queuedLength + text.length >= WRITE_THRESHOLD) await this.appendQueued()
    this.queue(text)
  }

  /** Appends everything queued, or nothing: a failed append is undone and its text stays queued for the next try. */
  async appendQueued(): Promise<void> {
    if (this.queued.length === 0) return
    if (this.repairTo !== undefined) {
      await this.handle.truncate(this.repairTo)
      this.length = this.repairTo
      this.repairTo = undefined
    }
    const data = Buffer.from(this.queued.join(''), 'utf8')
    const start = await this.size()
    try {
      await this.handle.appendFile(data)
    } catch (error) {
      this.length = undefined
      this.repairTo = start
      await this.handle.truncate(start).then(
        () => ((this.repairTo = undefined), (this.length = start)),
        () => undefined,
      )
      throw error
    }
    this.length = start + data.length
    this.queued = []
    this.queuedLength = 0
    this.dirty = true
  }

  /** Waits until what was appended is on disk (fdatasync), and the file's directory entry once when it is new. */
  async sync(): Promise<void> {
    if (!this.dirty) return
    await this.handle.datasync()
    this.dirty = false
    if (!this.directorySynced) {
      await syncDirectory(dirname(this.path))
      this.directorySynced = true
    }
  }

  async size(): Promise<number> {
    if (!this.exclusive()) this.length = undefined
    this.length ??= (await this.handle.stat()).size
    return this.length
  }

  /** The header of a non-empty file (see csv-header.ts). */
  header(delimiter: string): Promise<string[] | undefined> {
    return readHeader(this.handle, delimiter)
  }

  /** Whether the last byte of a file of `size` bytes (> 0) is a line break. */
  async endsWithLineBreak(size: number): Promise<boolean> {
    const last = Buffer.alloc(1)
    await this.handle.read(last, 0, 1, size - 1)
    return last[0] === 0x0a
  }

  close(): Promise<void> {
    return this.handle.close()
  }
}
