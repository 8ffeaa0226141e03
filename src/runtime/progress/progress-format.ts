/** The words of the status line and the fields of the progress log line, from the same figures. */
import type {ProgressFigures} from './progress-tally.js'

const count = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0})
const rate = new Intl.NumberFormat('en-US', {maximumFractionDigits: 1})

/** `btc │ 1,234.5 rec/s │ written 45,678 (1,230/s) │ lag 120 │ DLQ 3 │ last record 12:00:01 (2s ago)` */
export function statusText(pipeline: string, figures: ProgressFigures, lag: number | undefined, now: number): string {
  return [
    pipeline,
    `${rate.format(figures.recordsPerSecond)} rec/s`,
    `written ${count.format(figures.written)} (${rate.format(figures.writtenPerSecond)}/s)`,
    `lag ${lag === undefined ? '?' : count.format(lag)}`,
    `DLQ ${count.format(figures.deadLettered)}`,
    `last record ${lastRecordText(figures.lastRecordAt, now)}`,
  ].join(' │ ')
}

function lastRecordText(at: number | undefined, now: number): string {
  if (at === undefined) return 'none yet'
  const time = new Date(at).toISOString().slice(11, 19)
  return `${time} (${Math.max(0, Math.round((now - at) / 1000))}s ago)`
}

/** The fields of one `progress` log line (snake_case, as a log shipper would index them). */
export function progressFields(figures: ProgressFigures, lag: number | undefined): Record<string, unknown> {
  return {
    records_per_second: Math.round(figures.recordsPerSecond * 10) / 10,
    produced: figures.produced,
    consumed: figures.consumed,
    written: figures.written,
    written_per_second: Math.round(figures.writtenPerSecond * 10) / 10,
    lag,
    dead_lettered: figures.deadLettered,
    last_record_at: figures.lastRecordAt === undefined ? undefined : new Date(figures.lastRecordAt).toISOString(),
  }
}
