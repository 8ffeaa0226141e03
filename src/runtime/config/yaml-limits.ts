/**
 * Safety limits for pipeline files, checked before and right after YAML parsing. Pipeline files are small and
 * hand-written; a file that breaks one of these limits is a mistake (a binary or generated file given by accident) or
 * an attack (a "billion laughs" alias bomb, nesting deep enough to exhaust the stack). Either way it gets one clear
 * problem with a position instead of a hang, a crash or an out-of-memory kill.
 */
import {CST, isAlias, isNode, Parser, visit, type Document, type LineCounter} from 'yaml'
import type {ConfigProblem} from './problems.js'

/** Largest pipeline file accepted (checked with stat before reading, and again while reading). */
export const MAX_PIPELINE_BYTES = 1024 * 1024
/** Longest line; long values (a Vega-Lite spec, a big list) belong in their own file or on several lines. */
export const MAX_LINE_CHARS = 64 * 1024
/** Deepest nesting of mappings and sequences; real pipelines need under 10. */
export const MAX_NESTING_DEPTH = 100
/** Most alias nodes (`*name`) in one file; also the yaml package's expansion limit when converting to data. */
export const MAX_ALIASES = 100

/** Tags a pipeline may spell out; everything else (!!binary, !!js/function, !Ref…) is refused. */
const ALLOWED_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
)

type Position = {line: number; col: number}
const problem = (
  file: string,
  where: Position,
  message: string,
  code: ConfigProblem['code'] = 'ETL_CONFIG_LIMIT',
): ConfigProblem => ({
  file,
  ...where,
  path: '',
  message,
  code,
})

/** Line and column of a character offset, without a LineCounter (used before parsing). */
function positionOf(text: string, offset: number): Position {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return {line, col: offset - start + 1}
}

/**
 * Bytes → text, refusing what is not UTF-8 (the position of the first bad byte is reported; a legitimate U+FFFD in
 * the file is told apart from a decoding failure by its bytes).
 */
export function decodePipelineBytes(file: string, bytes: Buffer): {text: string; problems: ConfigProblem[]} {
  const text = bytes.toString('utf8')
  let byteOffset = 0
  let charOffset = 0
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    byteOffset += Buffer.byteLength(text.slice(charOffset, i))
    charOffset = i
    if (bytes[byteOffset] === 0xef && bytes[byteOffset + 1] === 0xbf && bytes[byteOffset + 2] === 0xbd) continue
    const where = positionOf(text, i)
    const hex = bytes
      .subarray(byteOffset, byteOffset + 4)
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1 ')
    return {
      text,
      problems: [
        problem(
          file,
          where,
          `not valid UTF-8 (bytes ${hex} at byte ${byteOffset}); save the file as UTF-8`,
          'ETL_CONFIG_ENCODING',
        ),
      ],
    }
  }
  return {text, problems: []}
}

/** Control characters YAML does not allow in a file (tab, LF and CR are fine); a NUL usually means a binary file. */
// eslint-disable-next-line no-control-regex -- finding control characters is this regex's whole purpose
const CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/

/** Checks on the raw text: control characters and line length. */
export function checkText(file: string, text: string): ConfigProblem[] {
  const control = CONTROL.exec(text)
  if (control) {
    const code = control[0].charCodeAt(0)
    const name = code === 0 ? 'NUL' : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
    const hint = code === 0 ? ' (a binary file, or UTF-16? pipeline files are UTF-8 text)' : ''
    return [
      problem(
        file,
        positionOf(text, control.index),
        `contains the control character ${name}${hint}`,
        'ETL_CONFIG_ENCODING',
      ),
    ]
  }
  let start = 0
  for (let line = 1; start <= text.length; line++) {
    const end = text.indexOf('\n', start)
    const stop = end === -1 ? text.length : end
    const length = stop - start - (text[stop - 1] === '\r' ? 1 : 0)
    if (length > MAX_LINE_CHARS) {
      return [
        problem(
          file,
          {line, col: MAX_LINE_CHARS + 1},
          `line ${line} is ${length} characters long; the limit is ${MAX_LINE_CHARS} ` +
            '(split the value over several lines or put it in its own file)',
        ),
      ]
    }
    if (end === -1) break
    start = end + 1
  }
  return []
}

/** Without a syntax tree: the line with the most collection openers (`[`, `{`, `- `), to point somewhere useful. */
function deepestLine(text: string): Position {
  let best = {line: 1, col: 1}
  let most = 0
  text.split('\n').forEach((content, index) => {
    const openers = content.match(/[[{]|(?:^|\s)-(?=\s|$)/g)?.length ?? 0
    if (openers > most) [best, most] = [{line: index + 1, col: 1}, openers]
  })
  return best
}

type CstNode = CST.Token | null | undefined

/** The children of a CST collection, in order (keys and values of every item). */
function childrenOf(token: CST.Token): CstNode[] {
  if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') return []
  return token.items.flatMap((item) => ['key' in item ? item.key : undefined, item.value])
}

/**
 * Checks on the concrete syntax tree, before the document is composed (composing recurses per level, so depth is
 * checked first): one document only, nesting at most MAX_NESTING_DEPTH. The tree is walked with an explicit stack.
 */
export function checkStructure(file: string, text: string): ConfigProblem[] {
  let tokens: CST.Token[]
  try {
    tokens = [...new Parser().parse(text)]
  } catch (error) {
    // The yaml parser recurses on compact nesting (`- - - - …`); running out of stack means far beyond the limit.
    if (error instanceof RangeError) {
      return [
        problem(file, deepestLine(text), `nesting is too deep to parse; the limit is ${MAX_NESTING_DEPTH} levels`),
      ]
    }
    throw error
  }
  const documents = tokens.filter((token): token is CST.Document => token.type === 'document')
  if (documents.length > 1) {
    const where = positionOf(text, documents[1].offset)
    return [
      problem(
        file,
        where,
        `holds ${documents.length} YAML documents (separated by ---); a pipeline file holds exactly one`,
        'ETL_CONFIG_INVALID',
      ),
    ]
  }
  const stack: [CstNode, number][] = documents.map((doc) => [doc.value, 0])
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!
    if (!token) continue
    const children = childrenOf(token)
    if (children.length === 0 && token.type !== 'flow-collection') continue
    if (depth + 1 > MAX_NESTING_DEPTH) {
      return [problem(file, positionOf(text, token.offset), `nesting is deeper than ${MAX_NESTING_DEPTH} levels`)]
    }
    for (const child of children) stack.push([child, depth + 1])
  }
  return []
}

/** Checks on the composed document: explicit tags and the number of aliases. */
export function checkNodes(file: string, doc: Document.Parsed, lines: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  let aliases = 0
  visit(doc, (_key, node) => {
    if (!isNode(node)) return undefined
    const where = lines.linePos(node.range?.[0] ?? 0)
    if (isAlias(node) && ++aliases > MAX_ALIASES) {
      problems.push(
        problem(
          file,
          where,
          `more than ${MAX_ALIASES} aliases (*${node.source}…); ` +
            'expanding aliases like this is how "billion laughs" files exhaust memory',
        ),
      )
      return visit.BREAK
    }
    if (node.tag && !ALLOWED_TAGS.has(node.tag)) {
      const shown = node.tag.replace(/^tag:yaml\.org,2002:/, '!!')
      problems.push(
        problem(
          file,
          where,
          `YAML: the tag ${shown} is not supported ` +
            '(pipeline files are plain data: strings, numbers, booleans, lists, mappings)',
          'ETL_CONFIG_INVALID',
        ),
      )
    }
    return undefined
  })
  return problems
}
