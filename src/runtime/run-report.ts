/** The end-of-run summary: every count, so nothing a stage rejected or skipped goes unnoticed. */
import type {Counters} from './counters.js'

export function formatCounters(counters: Counters): string {
  const rows = counters.entries()
  if (rows.length === 0) return 'summary: no records\n'
  const width = Math.max(...rows.map((r) => `${r.scope} ${r.event}`.length))
  const lines = rows.map((r) => `  ${`${r.scope} ${r.event}`.padEnd(width)}  ${r.count}`)
  return `summary:\n${lines.join('\n')}\n`
}
