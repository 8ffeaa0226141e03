/**
 * `${VAR}` and `${VAR:-default}` in string values, resolved in place on the parsed YAML nodes so that positions stay
 * exact for later problems. `$${` writes a literal `${`. Secrets and hosts belong in the environment, not the file.
 * Substitution is one pass: a value that itself contains `${…}` is inserted literally, so a variable can neither refer
 * to itself nor loop; the result of one value is capped at MAX_EXPANDED_CHARS.
 */
import {isPair, isScalar, isSeq, parse as parseYamlScalar, visit} from 'yaml'
import type {ConfigProblem} from './problems.js'
import {formatPath} from './problems.js'
import type {ParsedYaml} from './yaml-document.js'

/** Longest value a ${...} substitution may produce, like the line limit of the file itself. */
export const MAX_EXPANDED_CHARS = 64 * 1024

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g
const NAME_CHECK = /\$\{(?![A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})/

export interface InterpolationResult {
  problems: ConfigProblem[]
  /** Names of the variables used, so their values can be treated as possibly secret. */
  variablesUsed: Set<string>
}

export function interpolateEnv(parsed: ParsedYaml, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: ConfigProblem[] = []
  const variablesUsed = new Set<string>()

  visit(parsed.doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return
      const where = parsed.lines.linePos(node.range?.[0] ?? 0)
      const fieldPath = formatPath(yamlPath(path, node))
      const report = (message: string, code: ConfigProblem['code']) =>
        problems.push({...where, file: parsed.file, path: fieldPath, message, code})
      if (NAME_CHECK.test(node.value.replace(/\$\$\{/g, ''))) {
        report('malformed ${...}: use ${NAME} or ${NAME:-default} (write $${ for a literal ${)', 'ETL_CONFIG_INVALID')
        return
      }
      const whole = /^\$\{[^}]+\}$/.test(node.value)
      const {text, missing, tooLong} = substitute(node.value, env, variablesUsed)
      for (const name of missing) {
        const message = `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})`
        report(message, 'ETL_CONFIG_ENV_MISSING')
      }
      if (tooLong) {
        const message =
          `\${...} expands to more than ${MAX_EXPANDED_CHARS} characters ` +
          "(a variable's value is inserted as is, once; it is never expanded again)"
        report(message, 'ETL_CONFIG_LIMIT')
        node.value = ''
        return
      }
      node.value = whole && node.type === 'PLAIN' ? typedScalar(text) : text
    },
  })
  return {problems, variablesUsed}
}

interface Substitution {
  text: string
  /** Variables neither set nor given a default, in the order they appear. */
  missing: string[]
  /** The result would exceed MAX_EXPANDED_CHARS (the text is then incomplete). */
  tooLong: boolean
}

/** One pass of ${...} over a value, adding each variable it names to `variablesUsed`. */
function substitute(original: string, env: NodeJS.ProcessEnv, variablesUsed: Set<string>): Substitution {
  const missing: string[] = []
  // Counted as it grows: `${BIG}${BIG}…` must be refused before it builds a huge string.
  let length = original.length
  let tooLong = false
  const grow = (from: string, to: string): string => {
    length += to.length - from.length
    if (length <= MAX_EXPANDED_CHARS) return to
    tooLong = true
    return ''
  }
  const text = original.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
    if (tooLong) return ''
    if (!name) return '${'
    variablesUsed.add(name)
    const value = env[name]
    if (value !== undefined && value !== '') return grow(match, value)
    if (fallback !== undefined) return grow(match, fallback)
    missing.push(name)
    return match
  })
  return {text, missing, tooLong}
}

/**
 * An unquoted `${PARTITIONS:-3}` should behave like an unquoted `3` would: a number. Only numbers, booleans and null
 * are taken from the substituted text; anything else stays a string, so a variable can never inject structure.
 */
function typedScalar(text: string): unknown {
  try {
    const value = parseYamlScalar(text)
    if (typeof value === 'number' || typeof value === 'boolean') return value
  } catch {
    // not a scalar YAML value: keep the text
  }
  return text
}

function yamlPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const out: (string | number)[] = []
  for (let i = 0; i < ancestors.length; i++) {
    const ancestor = ancestors[i]
    const child = i + 1 < ancestors.length ? ancestors[i + 1] : node
    if (isPair(ancestor) && isScalar(ancestor.key)) out.push(String(ancestor.key.value))
    else if (isSeq(ancestor)) out.push(ancestor.items.indexOf(child))
  }
  return out
}
