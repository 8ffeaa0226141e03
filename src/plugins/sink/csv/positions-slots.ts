/**
 * The positions file's two slots: lines of one fixed width, overwritten in place by turns (a record of serial n goes
 * to slot n % 2), so recording new positions is one write of a few hundred bytes and one fdatasync (the file's size
 * never changes, so no metadata has to reach the disk). The slot written is always the older one: a write a crash
 * tears leaves the newer record intact in the other slot. The file is created, or rebuilt with wider slots when a
 * record outgrows them, by replacing it atomically, with the record in both slots.
 */
import {open, type FileHandle} from 'node:fs/promises'
import {replaceFileAtomically} from '../../shared/files/atomic-file.js'

/** The smallest slot; slots grow by doubling, with room for offsets to gain a few digits before the next rebuild. */
const MIN_WIDTH = 256
const HEADROOM = 32

export class PositionSlots {
  private handle: FileHandle | undefined
  private width = 0

  /** `serial`: that of the newest record in the file (0 when there is none). */
  constructor(
    private readonly file: string,
    private serial: number,
  ) {}

  /**
   * Writes the record `encode` makes for the next serial number; with `sync`, durably. A failed write leaves the
   * serial where it was, so trying again overwrites the same (older) slot, never the newer one.
   */
  async write(encode: (serial: number) => string, sync: boolean): Promise<void> {
    const serial = this.serial + 1
    const line = encode(serial)
    const length = Buffer.byteLength(line) + 1
    if (this.handle && length <= this.width) {
      await this.handle.write(padded(line, this.width), 0, this.width, (serial % 2) * this.width)
      if (sync) await this.handle.datasync()
    } else {
      await this.rebuild(line, length, sync)
    }
    this.serial = serial
  }

  async close(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    this.width = 0
    await handle?.close()
  }

  private async rebuild(line: string, length: number, sync: boolean): Promise<void> {
    await this.close()
    let width = MIN_WIDTH
    while (width < length + HEADROOM) width *= 2
    const slot = padded(line, width).toString('utf8')
    await replaceFileAtomically(this.file, slot + slot, sync)
    this.handle = await open(this.file, 'r+')
    this.width = width
  }
}

/** `line`, spaces, and a line break as the last of `width` bytes. */
function padded(line: string, width: number): Buffer {
  const slot = Buffer.alloc(width, 0x20)
  slot.write(line, 0, 'utf8')
  slot[width - 1] = 0x0a
  return slot
}
