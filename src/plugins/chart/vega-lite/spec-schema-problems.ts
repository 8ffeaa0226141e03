/**
 * Turns ajv's errors for a spec that fails Vega-Lite's schema into the few problems worth showing, each pinned to the
 * spec file's line:col.
 */
import type {ErrorObject} from 'ajv'
import type {SourceLocator} from '../../../sdk/index.js'

/** At most this many schema problems per spec: past the first few, Vega-Lite's anyOf cascades only add noise. */
const MAX_ISSUES = 3
const MAX_ALLOWED_SHOWN = 20

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
    // A property unknown to every branch of the anyOf is the typo; one unknown to only some is another spec type's.
    const [name] = [...unknown.entries()].sort((a, b) => b[1] - a[1])[0]
    return `${where([...path, name], true)}: unknown property "${name}"`
  }
  if (types.size > 0) return `${where(path)}: must be ${[...types].join(' or ')}`
  return `${where(path)}: ${group[0].message ?? 'is invalid'}`
}
