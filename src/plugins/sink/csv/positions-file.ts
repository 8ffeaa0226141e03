/**
 * Exactly-once bookkeeping of an append-only sink file: `<file>.offsets.json` records, per partition of the consumed
 * topic, the offset after the last input whose rows are in the file, and the file's length in bytes at that moment.
 * It is recorded right after the rows reached the disk, so after a crash the pair is always consistent: bytes past
 * the recorded length belong to inputs after the recorded offsets, which the process stage delivers again; the sink
 * cuts them off at start-up and the rows are written anew.
 *
 * The file holds two lines of the same fixed width ("slots"), each a JSON record with a serial number and a CRC-32
 * of itself (positions-slots.ts). Each flush overwrites the older slot in place and fdatasyncs it, one write and one
 * sync instead of a replaced file; a write a crash tore fails its check, and the other slot, the record before it,
 * counts. A file of version 1 (one JSON line, from earlier releases) is still read.
 */
import {readFile, rm} from 'node:fs/promises'
import {basename} from 'node:path'
import {crc32} from 'node:zlib'
import type {Logger, SinkOrigin} from '../../../sdk/index.js'
import {PositionSlots} from './positions-slots.js'

const VERSION = 2

export interface SavedPositions {
  /** Topic the offsets belong to (null: recorded before the topic was known). */
  topic: string | null
  /** Length of the data file the offsets correspond to. */
  bytes: number
  partitions: Map<number, bigint>
  /** Which record this is: higher is newer (0 for a version 1 file). */
  serial: number
}

interface PositionsJson {
  version: number
  serial?: number
  topic: string | null
  bytes: number
  partitions: Record<string, string>
  check?: string
}

export function positionsPathOf(path: string): string {
  return `${path}.offsets.json`
}

/** The saved positions of a data file; undefined when there are none or they are unreadable (warned). */
export async function readPositions(path: string, logger: Logger): Promise<SavedPositions | undefined> {
  const file = positionsPathOf(path)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return parsePositions(text)
  } catch (error) {
    // Only a hand edit produces this (a torn slot leaves the other one): without usable positions, at-least-once.
    logger.warn(
      `${file} is unreadable (${(error as Error).message}); ignoring it: ` +
        'rows of inputs after the committed offsets may be written again',
    )
    return undefined
  }
}

/** The newest intact record of a positions file's content; throws when it holds none. */
export function parsePositions(text: string): SavedPositions {
  let newest: SavedPositions | undefined
  for (const line of text.split('\n')) {
    const record = parseRecord(line.trim())
    if (record && (!newest || record.serial > newest.serial)) newest = record
  }
  if (!newest) throw new Error('no intact record of a known version')
  return newest
}

/** One slot's record, or undefined when it is blank, torn or of an unknown version. */
function parseRecord(line: string): SavedPositions | undefined {
  if (line === '') return undefined
  let json: PositionsJson
  try {
    json = JSON.parse(line) as PositionsJson
  } catch {
    return undefined
  }
  if (json === null || typeof json !== 'object') return undefined
  if (json.version === VERSION) {
    const {check, ...body} = json
    if (!Number.isSafeInteger(json.serial) || check !== checksum(JSON.stringify(body))) return undefined
  } else if (json.version !== 1) return undefined
  if (!Number.isSafeInteger(json.bytes) || json.bytes < 0) return undefined
  const partitions = new Map<number, bigint>()
  try {
    for (const [partition, offset] of Object.entries(json.partitions ?? {}))
      partitions.set(Number(partition), BigInt(offset))
  } catch {
    return undefined
  }
  const topic = typeof json.topic === 'string' ? json.topic : null
  return {topic, bytes: json.bytes, partitions, serial: json.version === 1 ? 0 : (json.serial as number)}
}

/** A record as one line of JSON, with the CRC-32 of the rest of it as `check`. */
export function encodePositions(saved: SavedPositions): string {
  const body: PositionsJson = {
    version: VERSION,
    serial: saved.serial,
    topic: saved.topic,
    bytes: saved.bytes,
    partitions: Object.fromEntries(
      [...saved.partitions].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o.toString()]),
    ),
  }
  return JSON.stringify({...body, check: checksum(JSON.stringify(body))})
}

function checksum(text: string): string {
  return crc32(text).toString(16).padStart(8, '0')
}

/**
 * The data file length its positions file records, without a word when there is none or it is unreadable: what
 * start-up will cut the file back to (validation looks at it without logging; start-up warns).
 */
export async function recordedLength(path: string): Promise<number | undefined> {
  try {
    return parsePositions(await readFile(positionsPathOf(path), 'utf8')).bytes
  } catch {
    return undefined
  }
}

export async function removePositions(path: string): Promise<void> {
  await rm(positionsPathOf(path), {force: true})
}

/**
 * Positions of one sink file: those accepted with writes since the last flush, and those recorded on disk. Kept
 * apart from the file's rows so any append-only file sink can use it.
 */
export class FilePositions {
  /** Set once the process stage asked for positions (or a write carried an origin): only then is a file kept. */
  private topic: string | null | undefined
  private accepted = new Map<number, bigint>()
  private recorded: {bytes: number; json: string} | undefined
  private readonly slots: PositionSlots

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
    private saved: SavedPositions | undefined,
  ) {
    this.slots = new PositionSlots(positionsPathOf(path), saved?.serial ?? 0)
    if (saved) {
      this.accepted = new Map(saved.partitions)
      this.recorded = {bytes: saved.bytes, json: this.json(saved.topic)}
    }
  }

  /** The length the data file must be cut back to at start-up, or undefined (see the module comment). */
  reconcile(size: number): number | undefined {
    const saved = this.saved
    if (!saved) return undefined
    if (size > saved.bytes) return saved.bytes
    if (size < saved.bytes) {
      this.logger.warn(
        `${this.path} is shorter (${size} bytes) than ${basename(positionsPathOf(this.path))} records ` +
          `(${saved.bytes}): it was truncated or replaced, so the recorded positions no longer describe it; ` +
          'forgetting them (rows of uncommitted inputs may be written again)',
      )
      this.forget()
    }
    return undefined
  }

  /** Positions for `topic`; positions recorded for another topic are forgotten with a warning. */
  forTopic(topic: string): Map<number, bigint> {
    if (this.saved && this.saved.topic !== topic) {
      this.logger.warn(
        `${positionsPathOf(this.path)} holds positions of topic ${this.saved.topic ?? '(unknown)'}, not ${topic}; ` +
          `ignoring them (rows of uncommitted inputs may be written again)`,
      )
      this.forget()
    }
    this.saved = undefined
    this.topic = topic
    return new Map(this.accepted)
  }

  /** The runtime hands over positions in order; a lower one replaces an ignored stale one (a recreated topic). */
  accept(origin: SinkOrigin): void {
    this.topic ??= null
    this.accepted.set(origin.partition, origin.nextOffset)
  }

  /** Records the accepted positions for a file of `bytes` whose rows are all on disk; skips an unchanged record. */
  async record(bytes: number, sync: boolean): Promise<void> {
    const topic = this.topic
    if (topic === undefined) return // not used for exactly-once (e.g. outside the process stage)
    const json = this.json(topic)
    if (this.recorded?.bytes === bytes && this.recorded.json === json) return
    const partitions = this.accepted
    await this.slots.write((serial) => encodePositions({topic, bytes, partitions, serial}), sync)
    this.recorded = {bytes, json}
  }

  /** Closes the positions file (kept open between flushes). */
  close(): Promise<void> {
    return this.slots.close()
  }

  private forget(): void {
    this.saved = undefined
    this.accepted = new Map()
    this.recorded = undefined
  }

  private json(topic: string | null): string {
    return JSON.stringify([topic, [...this.accepted].map(([p, o]) => [p, o.toString()])])
  }
}
