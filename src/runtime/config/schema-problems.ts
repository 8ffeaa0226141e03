/**
 * Turns ajv's errors into problems a person can act on: one line per problem, pinned to the YAML position, in words
 * ("unknown field "pth" (did you mean "path"?)") rather than JSON-pointer jargon.
 */
import {createRequire} from 'node:module'
import type {Ajv, ErrorObject, Options, ValidateFunction} from 'ajv'
import type {ConfigProblem} from './problems.js'
import {formatPath} from './problems.js'
import {locate, type ParsedYaml} from './yaml-document.js'

// Required when first needed: a run whose schemas were all precompiled at build (precompiled-validators.ts) never
// loads ajv's compiler. Both packages are CommonJS; ajv-formats' callable is module.exports (also its `default`).
const require = createRequire(import.meta.url)
type AddFormats = (ajv: Ajv) => Ajv
const ajvClass = () => (require('ajv') as typeof import('ajv')).Ajv
const addFormats = (ajv: Ajv) => (require('ajv-formats') as AddFormats)(ajv)

/** `extra`: options for generating standalone code (precompiled-validators.ts); checking options stay as they are. */
export function createAjv(extra: Options = {}): Ajv {
  // verbose: errors carry their parentSchema, which the messages use for "did you mean" and expected forms.
  // strict: false so third-party schemas may carry annotations ajv does not know; our own are checked by a test.
  const AjvClass = ajvClass()
  const ajv = new AjvClass({
    allErrors: true,
    useDefaults: true,
    strict: false,
    allowUnionTypes: true,
    verbose: true,
    ...extra,
  })
  addFormats(ajv)
  return ajv
}

let shared: Ajv | undefined

/**
 * The ajv that checks pipeline files: the pipeline schema and every plugin's. Created on first use, so commands that
 * load no pipeline do not pay for it; ajv keeps what it compiled, keyed by the schema object.
 */
export function sharedAjv(): Ajv {
  shared ??= createAjv()
  return shared
}

/** JSON pointer (`/sinks/0/path`) → path segments, with numbers where the data holds an array. */
function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (!pointer) return []
  const out: (string | number)[] = []
  let current: unknown = data
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const step = Array.isArray(current) && /^\d+$/.test(segment) ? Number(segment) : segment
    out.push(step)
    current = isObject(current) ? Reflect.get(current, step) : undefined
  }
  return out
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = saved
    }
  }
  return row[b.length]
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

function listOf(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : ''
}

function describe(error: ErrorObject): {message: string; extra?: string; onKey?: boolean} {
  const params = error.params
  switch (error.keyword) {
    case 'required':
      return {message: 'required field is missing', extra: String(params.missingProperty)}
    case 'additionalProperties': {
      const field = String(params.additionalProperty)
      if (field === '<<')
        return {message: 'YAML merge keys (<<) are not supported: write the fields out', extra: field, onKey: true}
      const known = Object.keys(error.parentSchema?.properties ?? {})
      const guess = closest(field, known)
      const hint = guess ? ` (did you mean "${guess}"?)` : known.length ? ` (known fields: ${known.join(', ')})` : ''
      return {message: `unknown field${hint}`, extra: field, onKey: true}
    }
    case 'enum':
      return {
        message: `must be one of: ${listOf(params.allowedValues)}`,
      }
    case 'type':
      return {message: `must be ${String(params.type).replace(',', ' or ')}`}
    case 'oneOf':
    case 'anyOf': {
      const description: unknown = error.parentSchema?.description
      const text = typeof description === 'string' ? description : ''
      return {message: `has the wrong form${text ? ` — expected: ${text}` : ''}`}
    }
    case 'pattern':
      return {message: `does not match the expected form ${String(params.pattern)}`}
    default:
      return {message: error.message ?? 'is invalid'}
  }
}

/**
 * Problems for one validation run. `prefix` is where the validated object sits in the file (e.g. ['sinks', 0]) so
 * plugin-config errors point into the right entry.
 */
export function schemaProblems(
  parsed: ParsedYaml,
  validate: ValidateFunction,
  data: unknown,
  prefix: (string | number)[] = [],
): ConfigProblem[] {
  const errors = validate.errors ?? []
  // Sub-errors of each oneOf/anyOf branch only confuse; the summary error on the field says what was expected.
  const useful = errors.filter((error) => !/\/(oneOf|anyOf)\/\d+\//.test(error.schemaPath))
  const seen = new Set<string>()
  const problems: ConfigProblem[] = []
  for (const error of useful) {
    const base = [...prefix, ...pointerToPath(error.instancePath, data)]
    const {message, extra, onKey} = describe(error)
    const path = extra === undefined ? base : [...base, extra]
    const where = locate(parsed, onKey ? path : base, onKey)
    const key = `${formatPath(path)}|${message}`
    if (seen.has(key)) continue
    seen.add(key)
    problems.push({file: parsed.file, ...where, path: formatPath(path), message, code: 'ETL_CONFIG_INVALID'})
  }
  return problems
}
