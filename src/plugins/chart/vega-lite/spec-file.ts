/** Reads a chart's Vega-Lite spec file: its problems name the file, with line:col for JSON syntax errors. */
import {readFileSync} from 'node:fs'
import {messageOf} from '../../../sdk/index.js'

export type SpecReadResult = {spec: Record<string, unknown>; text: string} | {problem: string}

/** Reads and parses a spec file; a problem names the file (and line:col for JSON syntax errors). */
export function readSpec(path: string, label: string): SpecReadResult {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {
      problem:
        code === 'ENOENT' ? `${label}: spec file not found (${path})` : `${label}: cannot read: ${messageOf(error)}`,
    }
  }
  try {
    const spec = JSON.parse(text)
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      return {problem: `${label}:1:1 a Vega-Lite spec must be a JSON object`}
    }
    return {spec, text}
  } catch (error) {
    const {line, col} = jsonErrorPosition(text, messageOf(error))
    // The position is already in line:col form at the front.
    const reason = messageOf(error)
      .replace(/\s*\(line \d+ column \d+\)$/, '')
      .replace(/ in JSON at position \d+$/, '')
    return {problem: `${label}:${line}:${col} not valid JSON: ${reason}`}
  }
}

/** Where V8's JSON.parse message says the error is ("… at position 41 (line 3 column 5)"); the end otherwise. */
function jsonErrorPosition(text: string, message: string): {line: number; col: number} {
  const lineCol = /\(line (\d+) column (\d+)\)/.exec(message)
  if (lineCol) return {line: Number(lineCol[1]), col: Number(lineCol[2])}
  const position = /at position (\d+)/.exec(message)
  const offset = position ? Number(position[1]) : text.length
  const before = text.slice(0, offset).split('\n')
  return {line: before.length, col: before[before.length - 1].length + 1}
}
