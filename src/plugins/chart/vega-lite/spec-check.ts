/**
 * Checks a Vega-Lite spec file at `etl validate` time and pins each problem to spec-file:line:col, so a typo in a
 * chart is found before the pipeline starts rather than as a failed render ten seconds into a run.
 */
import {readFileSync} from 'node:fs'
import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ErrorObject} from 'ajv'
import {messageOf, type SourceLocator} from '../../../sdk/index.js'
import type {SpecCheckRequest} from './spec-check-worker.js'
import {SyncWorker} from './sync-worker.js'
import type {SpecOverrides} from './vega-view.js'

/** At most this many schema problems per spec: past the first few, Vega-Lite's anyOf cascades only add noise. */
const MAX_ISSUES = 3
const MAX_ALLOWED_SHOWN = 20

/**
 * Where the schema, Vega-Lite and Vega checks run. Compiling the schema and loading vega take 1–2 s, so the timeout
 * leaves room for a heavily loaded machine; charts of one pipeline are validated back to back and share the worker.
 */
const checker = new SyncWorker<SpecCheckRequest, string[]>(
  // Same extension as this file: .js from dist/, .ts when run from src/ under tsx.
  new URL(`./spec-check-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
  {timeoutMs: 120_000, idleMs: 2_000},
)

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

/**
 * Every problem with a spec, as messages starting with `label:line:col`. Empty when the spec can be rendered. The
 * schema, Vega-Lite and Vega checks run in a worker (see sync-worker.ts), so neither vega nor the compiled schema is
 * loaded into this process: validation stays synchronous and a pipeline without charts never pays for them.
 */
export function checkSpec(path: string, label: string, overrides: SpecOverrides): string[] {
  const read = readSpec(path, label)
  if ('problem' in read) return [read.problem]
  try {
    return checker.call({text: read.text, label, overrides})
  } catch (error) {
    return [`${label}: could not check the spec: ${messageOf(error)}`]
  }
}

const depth = (error: ErrorObject) => (error.instancePath === '' ? 0 : error.instancePath.split('/').length - 1)

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return []
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))
}

/**
 * The few errors worth showing. A spec that fails Vega-Lite's schema fails every branch of its top-level anyOf (unit,
 * layer, concat…), so ajv reports dozens of errors; the deepest location is almost always the real mistake, and the
 * alternatives reported there (allowed values, expected types) say what would have been accepted.
 */
export function schemaProblems(errors: readonly ErrorObject[], locator: SourceLocator, label: string): string[] {
  const useful = errors.filter(
    (error) => error.keyword !== 'anyOf' && error.keyword !== 'oneOf' && error.keyword !== 'if',
  )
  if (useful.length === 0) return [`${label}: not a valid Vega-Lite spec`]
  const deepest = Math.max(...useful.map(depth))
  const byPath = new Map<string, ErrorObject[]>()
  for (const error of useful) {
    if (depth(error) !== deepest) continue
    byPath.set(error.instancePath, [...(byPath.get(error.instancePath) ?? []), error])
  }
  return [...byPath.entries()].slice(0, MAX_ISSUES).map(([pointer, group]) => describe(pointer, group, locator, label))
}

function describe(pointer: string, group: ErrorObject[], locator: SourceLocator, label: string): string {
  const path = pointerSegments(pointer)
  const allowed = new Set<string>()
  const types = new Set<string>()
  const unknown = new Map<string, number>()
  for (const error of group) {
    const params = error.params as Record<string, unknown>
    if (error.keyword === 'enum')
      for (const value of params.allowedValues as unknown[]) allowed.add(JSON.stringify(value))
    else if (error.keyword === 'const') allowed.add(JSON.stringify(params.allowedValue))
    else if (error.keyword === 'type') types.add(String(params.type))
    else if (error.keyword === 'additionalProperties') {
      const name = String(params.additionalProperty)
      unknown.set(name, (unknown.get(name) ?? 0) + 1)
    }
  }
  const where = (segments: (string | number)[], onKey = false) => {
    const {line, col} = locator.locate(segments, onKey)
    const shown = segments.length === 0 ? '/' : `/${segments.join('/')}`
    return `${label}:${line}:${col} ${shown}`
  }
  if (allowed.size > 0) {
    const values = [...allowed]
    const shown = values.slice(0, MAX_ALLOWED_SHOWN).join(', ') + (values.length > MAX_ALLOWED_SHOWN ? ', …' : '')
    const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`)
    const alternatives = types.size > 0 ? ` (or ${[...types].map(article).join(' or ')})` : ''
    return `${where(path)}: must be one of ${shown}${alternatives}`
  }
  if (unknown.size > 0) {
    // A property unknown to every branch of the anyOf is the typo; one unknown to only some is just another spec type's.
    const [name] = [...unknown.entries()].sort((a, b) => b[1] - a[1])[0]
    return `${where([...path, name], true)}: unknown property "${name}"`
  }
  if (types.size > 0) return `${where(path)}: must be ${[...types].join(' or ')}`
  return `${where(path)}: ${group[0].message ?? 'is invalid'}`
}
