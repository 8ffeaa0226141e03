/**
 * A pipeline's sources: `source:` (one) or `sources:` (a list, each writing the same topic, each with its own
 * checkpoint and transactional id: source-stage.ts). The rules the schema cannot state: not both keys, unique labels
 * (a source's label names its checkpoint, counters and logs), and `worker: true` only with a single source.
 */
import type {ConfigProblem} from './problems.js'
import {problemAt, type ParsedYaml} from './yaml-document.js'

type Path = (string | number)[]

export interface SourceEntryAt<Entry = unknown> {
  entry: Entry
  path: Path
}

/** The source entries of a document (parsed, or typed once valid), with their paths: `source:`, else `sources:`. */
export function sourceEntriesOf<Entry = unknown>(data: {source?: Entry; sources?: unknown}): SourceEntryAt<Entry>[] {
  if (data.source !== undefined) return [{entry: data.source, path: ['source']}]
  const list = Array.isArray(data.sources) ? (data.sources as Entry[]) : []
  return list.map((entry, i) => ({entry, path: ['sources', i]}))
}

/** What is wrong with the document's sources as a whole (each entry is checked on its own elsewhere). */
export function sourcesProblems(parsed: ParsedYaml, data: Record<string, unknown>): ConfigProblem[] {
  if (data.source !== undefined && data.sources !== undefined) {
    const message = 'a pipeline has either source: (one) or sources: (a list), not both'
    return [problemAt(parsed, ['sources'], message, {onKey: true})]
  }
  const entries = sourceEntriesOf(data)
  return entries.length < 2 ? [] : [...duplicateLabels(parsed, entries), ...workersRefused(parsed, entries)]
}

/** The label a source entry gets (its name, else its type), or undefined for an entry the schema rejects. */
function labelOf(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined
  const {name, type} = entry as {name?: unknown; type?: unknown}
  if (typeof name === 'string') return name
  return typeof type === 'string' ? type : undefined
}

function duplicateLabels(parsed: ParsedYaml, entries: SourceEntryAt[]): ConfigProblem[] {
  const seen = new Set<string>()
  const problems: ConfigProblem[] = []
  for (const {entry, path} of entries) {
    const label = labelOf(entry)
    if (label === undefined) continue
    if (seen.has(label)) {
      const named = typeof (entry as {name?: unknown}).name === 'string'
      const message =
        `another source is already named "${label}"; source names must be unique (the name keys the source's ` +
        `checkpoint)${named ? '' : ': give each source of this type a name:'}`
      problems.push(problemAt(parsed, named ? [...path, 'name'] : [...path, 'type'], message))
    }
    seen.add(label)
  }
  return problems
}

/** A worker thread runs the whole source stage; with several sources it is not supported (yet). */
function workersRefused(parsed: ParsedYaml, entries: SourceEntryAt[]): ConfigProblem[] {
  return entries
    .filter(({entry}) => (entry as {worker?: unknown} | null)?.worker === true)
    .map(({path}) =>
      problemAt(
        parsed,
        [...path, 'worker'],
        'worker: true runs the source stage in a worker thread, which only a pipeline with a single source can do: ' +
          'remove it, or give this source a pipeline of its own',
      ),
    )
}
