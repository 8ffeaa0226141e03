/**
 * Where the records sit in a JSON answer or message: `$` (the root), `data.items`, `events.*.trades` (`*` steps
 * into every element of an array or value of an object, so nested batches flatten into one list). Kept to dots and
 * stars on purpose: a full JSONPath would be a second expression language next to the one fields use.
 */

/** A parsed records path: the steps below the root; `*` fans out. */
export type JsonPath = readonly string[]

const SEGMENT = /^(\*|[^.*\s]+)$/

/** Why `text` is not a records path, or undefined when it is one. */
export function jsonPathProblem(text: string): string | undefined {
  const steps = stepsOf(text)
  const bad = steps.find((step) => !SEGMENT.test(step))
  if (bad === undefined) return undefined
  return `"${text}" is not a records path: use $ for the root, or names and * joined by dots (e.g. data.items)`
}

/** The steps of a path already checked by jsonPathProblem. */
export function parseJsonPath(text: string): JsonPath {
  return stepsOf(text)
}

function stepsOf(text: string): string[] {
  const trimmed = text.trim()
  if (trimmed === '$' || trimmed === '') return []
  return (trimmed.startsWith('$.') ? trimmed.slice(2) : trimmed).split('.')
}

/**
 * The items at `path` in `value`: an array there gives its elements, anything else (an object) gives itself, a
 * path that leads nowhere gives none. `found` tells "nothing at this path" (an ack, an error frame) from "an empty
 * list".
 */
export function itemsAt(value: unknown, path: JsonPath): {items: unknown[]; found: boolean} {
  let current: unknown[] = [value]
  for (const step of path) {
    const next: unknown[] = []
    for (const node of current) {
      if (step === '*') {
        if (Array.isArray(node)) next.push(...node)
        else if (isObject(node)) next.push(...Object.values(node))
      } else if (Array.isArray(node) && /^\d+$/.test(step)) {
        if (Number(step) < node.length) next.push(node[Number(step)])
      } else if (isObject(node) && Object.hasOwn(node, step)) {
        next.push(node[step])
      }
    }
    current = next
  }
  if (current.length === 0 || current.every((node) => node === undefined || node === null))
    return {items: [], found: false}
  return {items: current.flatMap((node) => (Array.isArray(node) ? node : [node])), found: true}
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
