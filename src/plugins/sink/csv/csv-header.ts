/**
 * The header row of an existing csv sink file: read at start-up to continue the file under the header it has, and at
 * validation time to report configured columns that contradict it before anything runs.
 */
import type {FileHandle} from 'node:fs/promises'
import {parse} from 'csv-parse/sync'

const HEADER_READ_LIMIT = 1024 * 1024
const READ_BYTES = 64 * 1024

export interface FirstLine {
  /** The line without its line break (and without a \r before it). */
  text: string
  /** Bytes up to and including its \n; undefined when the file ends before one (or the line is absurdly long). */
  end: number | undefined
}

/** The first line of a non-empty file, read in chunks until its \n, at most about HEADER_READ_LIMIT bytes. */
export async function readFirstLine(handle: FileHandle): Promise<FirstLine> {
  const chunks: Buffer[] = []
  let end: number | undefined
  for (let position = 0; position < HEADER_READ_LIMIT;) {
    const {bytesRead, buffer} = await handle.read(Buffer.alloc(READ_BYTES), 0, READ_BYTES, position)
    if (bytesRead === 0) break
    const chunk = buffer.subarray(0, bytesRead)
    const lineBreak = chunk.indexOf(0x0a)
    chunks.push(lineBreak < 0 ? chunk : chunk.subarray(0, lineBreak))
    if (lineBreak >= 0) {
      end = position + lineBreak + 1
      break
    }
    position += bytesRead
  }
  return {text: Buffer.concat(chunks).toString('utf8').replace(/\r$/, ''), end}
}

/** The first line CSV-decoded: the header's cells, or undefined when the line holds no record. */
export function parseHeader(line: string, delimiter: string): string[] | undefined {
  const [header] = parse(line, {delimiter, bom: true, relax_quotes: true}) as string[][]
  return header
}

/** The header of a non-empty file (first line, CSV-decoded), or undefined when its first line holds no record. */
export async function readHeader(handle: FileHandle, delimiter: string): Promise<string[] | undefined> {
  return parseHeader((await readFirstLine(handle)).text, delimiter)
}

/** Why a file with header `existing` cannot take rows of `columns`, or undefined when they are the same. */
export function headerMismatch(path: string, existing: string[], columns: string[], delimiter: string) {
  if (existing.join('\u0000') === columns.join('\u0000')) return undefined
  return (
    `${path} already has the header ${existing.join(delimiter)}, which differs from columns ` +
    `${columns.join(delimiter)}; write to another file or make columns match`
  )
}
