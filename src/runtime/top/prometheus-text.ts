/**
 * Reads Prometheus' text exposition format (what /metrics serves) into samples, for `etl top`. prom-client writes the
 * format but has no reader, and `etl top` needs only the sample lines: comments (# HELP, # TYPE) are skipped, label
 * values are unescaped (\\, \", \n), and +Inf, -Inf and NaN are numbers.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = SAMPLE_LINE.exec(line)
    if (!match) continue
    const labels = parseLabels(match[2] ?? '')
    if (labels) samples.push({name: match[1], labels, value: parseValue(match[3])})
  }
  return samples
}

/** `a="1",b="x\"y"` → {a: '1', b: 'x"y'}; undefined when the text is not a label set. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  let at = 0
  while (at < text.length) {
    const match = LABEL.exec(text)
    if (!match) return undefined
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    at = LABEL.lastIndex
  }
  return labels
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity
  if (text === '-Inf') return -Infinity
  return Number(text)
}
