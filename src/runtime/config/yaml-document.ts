/**
 * Parses a pipeline file with the `yaml` package keeping every node's source range, so that any later problem (from
 * the schema, a plugin, an unknown type) can be pinned to file:line:col.
 */
import {Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair} from 'yaml'
import type {ConfigProblem} from './problems.js'

/** Pipeline files are hand-written and small; a cap keeps a huge or hostile file from eating the process. */
export const MAX_PIPELINE_BYTES = 1024 * 1024

export interface ParsedYaml {
  file: string
  doc: Document.Parsed
  lines: LineCounter
  problems: ConfigProblem[]
}

export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true})
  const problems: ConfigProblem[] = []
  for (const error of [...doc.errors, ...doc.warnings]) {
    const {line, col} = lines.linePos(error.pos[0])
    // The yaml package's messages end with a code frame after the first line; the first line is the useful part.
    const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
    problems.push({file, line, col, path: '', message: `YAML: ${message}`, code: 'ETL_CONFIG_INVALID'})
  }
  return {file, doc, lines, problems}
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
  let best: Node | null = (node as Node) ?? null
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]
    let next: unknown
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment)) as
        | Pair<Node, Node>
        | undefined
      if (pair && onKey && i === path.length - 1 && pair.key) return position(parsed, pair.key)
      next = pair?.value ?? (pair?.key ? pair.key : undefined)
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment]
    }
    if (!next) break
    node = next
    best = next as Node
  }
  return best ? position(parsed, best) : {line: 1, col: 1}
}

function position(parsed: ParsedYaml, node: Node): Located {
  const offset = node.range?.[0] ?? 0
  return parsed.lines.linePos(offset)
}
