/**
 * Parses a pipeline file with the `yaml` package keeping every node's source range, so that any later problem (from
 * the schema, a plugin, an unknown type) can be pinned to file:line:col.
 */
import {open, stat} from 'node:fs/promises'
import {EtlError, messageOf, type ErrorCode} from '../errors.js'
import {Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Node} from 'yaml'
import {ConfigError, formatPath, type ConfigProblem} from './problems.js'
import {
  checkNodes,
  checkStructure,
  checkText,
  decodePipelineBytes,
  MAX_ALIASES,
  MAX_PIPELINE_BYTES,
} from './yaml-limits.js'

export {MAX_PIPELINE_BYTES} from './yaml-limits.js'

export interface ParsedYaml {
  file: string
  doc: Document.Parsed
  lines: LineCounter
  problems: ConfigProblem[]
}

/**
 * Reads a pipeline file as UTF-8 text, at most MAX_PIPELINE_BYTES of it (also for files whose size stat cannot tell:
 * pipes, /dev/zero); a larger or non-UTF-8 file is a ConfigError with ETL_CONFIG_LIMIT / ETL_CONFIG_ENCODING.
 */
export async function readPipelineFile(file: string): Promise<string> {
  const handle = await open(file, 'r')
  const chunks: Buffer[] = []
  let total = 0
  try {
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024)
      const {bytesRead} = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      chunks.push(chunk.subarray(0, bytesRead))
      total += bytesRead
      if (total > MAX_PIPELINE_BYTES) throw tooLarge(file, `more than ${MAX_PIPELINE_BYTES} bytes`)
    }
  } finally {
    await handle.close()
  }
  const {text, problems} = decodePipelineBytes(file, Buffer.concat(chunks))
  if (problems.length > 0) throw new ConfigError(file, problems)
  return text
}

/**
 * A pipeline or test file's text: refused before reading when stat says it is too large, read with the limits of
 * readPipelineFile; a file that cannot be read at all is ETL_CONFIG_READ (exit 2), naming `what` it is.
 */
export async function readConfigFile(file: string, what: string): Promise<string> {
  try {
    const info = await stat(file)
    if (info.size > MAX_PIPELINE_BYTES) throw tooLarge(file, `${info.size} bytes`)
    return await readPipelineFile(file)
  } catch (error) {
    if (error instanceof EtlError) throw error
    throw new EtlError('ETL_CONFIG_READ', `cannot read ${what} ${file}: ${messageOf(error)}`, {
      cause: error,
      exitCode: 2,
    })
  }
}

/** The problem for a file over MAX_PIPELINE_BYTES, `size` saying how big it is. */
export function tooLarge(file: string, size: string): ConfigError {
  const message = `the file is ${size}; pipeline files are limited to ${MAX_PIPELINE_BYTES} bytes (1 MiB)`
  return new ConfigError(file, [{file, line: 1, col: 1, path: '', message, code: 'ETL_CONFIG_LIMIT'}])
}

export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter()
  // Limits first: composing a document recurses per nesting level and expands nothing yet, but must not even start
  // on a file that is binary, absurdly long-lined or nested thousands deep.
  const early = checkText(file, text)
  if (early.length === 0) early.push(...checkStructure(file, text))
  if (early.length > 0) return {file, doc: new Document() as Document.Parsed, lines, problems: early}
  // The YAML 1.2 core schema even under a `%YAML 1.1` directive: no merge keys, no `yes`/`no` booleans, no !!binary.
  const options = {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    schema: 'core',
    merge: false,
  } as const
  const doc = parseDocument(text, options)
  const problems: ConfigProblem[] = checkNodes(file, doc, lines)
  // checkNodes explains unsupported tags itself, naming them as written.
  const warnings = doc.warnings.filter((warning) => !warning.message.startsWith('Unresolved tag'))
  for (const error of [...doc.errors, ...warnings]) {
    const {line, col} = lines.linePos(error.pos[0])
    // The yaml package's messages end with a code frame after the first line; the first line is the useful part.
    const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
    problems.push({file, line, col, path: '', message: `YAML: ${message}`, code: 'ETL_CONFIG_INVALID'})
  }
  return {file, doc, lines, problems}
}

/**
 * The document as plain data. Aliases are expanded here, so the yaml package's expansion limit applies; its
 * ReferenceError becomes a problem (checkNodes already caps the alias count, this catches what slips past it).
 */
export function toData(parsed: ParsedYaml): unknown {
  try {
    return parsed.doc.toJS({maxAliasCount: MAX_ALIASES})
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error
    const message = `aliases expand to too much data (${error.message})`
    throw new ConfigError(parsed.file, [
      {file: parsed.file, line: 1, col: 1, path: '', message, code: 'ETL_CONFIG_LIMIT'},
    ])
  }
}

export interface Located {
  line: number
  col: number
}

/**
 * Where a path points to. `onKey` places the position on the key of the last segment (for "unknown field" problems);
 * otherwise on its value. When the path does not exist (a missing field), the deepest existing ancestor is used.
 */
export function locate(parsed: ParsedYaml, path: readonly (string | number)[], onKey = false): Located {
  let node: unknown = parsed.doc.contents
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1
    let next: unknown
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
      if (onKey && last && isNode(pair?.key)) return position(parsed, pair.key)
      next = pair?.value ?? pair?.key
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment]
    }
    if (!isNode(next)) break
    node = next
  }
  return isNode(node) ? position(parsed, node) : {line: 1, col: 1}
}

/**
 * A problem pinned to where `path` points in the file (see locate; `onKey` for problems about the key itself), with
 * code ETL_CONFIG_INVALID unless another is given.
 */
export function problemAt(
  parsed: ParsedYaml,
  path: readonly (string | number)[],
  message: string,
  options: {onKey?: boolean; code?: ErrorCode} = {},
): ConfigProblem {
  const {onKey = false, code = 'ETL_CONFIG_INVALID'} = options
  return {file: parsed.file, ...locate(parsed, path, onKey), path: formatPath(path), message, code}
}

function position(parsed: ParsedYaml, node: Node): Located {
  const offset = node.range?.[0] ?? 0
  return parsed.lines.linePos(offset)
}
