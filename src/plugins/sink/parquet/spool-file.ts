/**
 * `<root>/_etl/spool.jsonl`, the lake's write-ahead log: every flush appends its batch's rows here (one JSON array per
 * line) and fsyncs before the state file claims them, since Parquet files cannot be appended to and one file per
 * batch would fill the lake with tiny files. A roll turns the spooled rows into Parquet files and empties the spool.
 */
import {open, type FileHandle} from 'node:fs/promises'
import {join} from 'node:path'
import {META_DIR} from './lake-state.js'

export function spoolPathOf(root: string): string {
  return join(root, META_DIR, 'spool.jsonl')
}

export class SpoolFile {
  /** Length to cut back to before the next append: an append or its sync failed after writing some bytes. */
  private repairTo: number | undefined

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens (creates) the spool for appending and reading. */
  static async open(root: string): Promise<SpoolFile> {
    const path = spoolPathOf(root)
    return new SpoolFile(path, await open(path, 'a+'))
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size
  }

  /** Appends `text` after the first `length` bytes, or leaves the spool at `length` when it fails. */
  async append(length: number, text: string, sync: boolean): Promise<number> {
    if (this.repairTo !== undefined || (await this.size()) !== length) await this.handle.truncate(length)
    this.repairTo = undefined
    const data = Buffer.from(text, 'utf8')
    try {
      await this.handle.appendFile(data)
      if (sync) await this.handle.datasync()
    } catch (error) {
      this.repairTo = length
      await this.handle.truncate(length).then(
        () => (this.repairTo = undefined),
        () => undefined,
      )
      throw error
    }
    return length + data.length
  }

  /** Cuts the spool to `length` bytes (after a crash: a torn or unrecorded tail; after a roll: empty). */
  async truncate(length: number, sync: boolean): Promise<void> {
    await this.handle.truncate(length)
    if (sync) await this.handle.datasync()
  }

  /** The first `length` bytes as text. */
  async read(length: number): Promise<string> {
    const buffer = Buffer.alloc(length)
    let offset = 0
    while (offset < length) {
      const {bytesRead} = await this.handle.read(buffer, offset, length - offset, offset)
      if (bytesRead === 0) break
      offset += bytesRead
    }
    return buffer.subarray(0, offset).toString('utf8')
  }

  close(): Promise<void> {
    return this.handle.close()
  }
}
