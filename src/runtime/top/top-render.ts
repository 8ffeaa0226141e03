/**
 * One screen of `etl top` as lines of text (no colour, no cursor codes: the session adds those on a terminal and
 * prints the lines as they are elsewhere), cut to the terminal's width and height.
 */
import {recordSummary, type LatestRecord} from './latest-records.js'
import type {CountRow, TopFrame} from './top-frame.js'

export interface RenderOptions {
  url: string
  width: number
  /** Most lines; the latest records are cut first. */
  height: number
  latest?: {records: LatestRecord[]; place: string; dropped: number; error?: string}
  /** The last line, e.g. `q quits`. */
  footer?: string
}

const count = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0})
const rate = new Intl.NumberFormat('en-US', {minimumFractionDigits: 1, maximumFractionDigits: 1})

export function renderTop(frame: TopFrame, options: RenderOptions): string[] {
  const lines = [
    headline(frame, options.url),
    ...health(frame),
    '',
    ...countTable('RECORDS', frame.records),
    ...(frame.retries.length > 0 ? ['', ...countTable('RETRIES', frame.retries)] : []),
    '',
    ...lagLines(frame),
  ]
  if (frame.buffer) {
    const capacity = frame.buffer.capacity === undefined ? '' : ` of ${count.format(frame.buffer.capacity)}`
    lines.push(`source buffer: ${count.format(frame.buffer.records)}${capacity} records`)
  }
  const footer = options.footer === undefined ? [] : ['', options.footer]
  const room = options.height - lines.length - footer.length
  if (options.latest && room > 2) lines.push('', ...latestLines(options.latest, options.width, room - 1))
  return [...lines, ...footer].map((line) => cut(line, options.width))
}

function headline(frame: TopFrame, url: string): string {
  const time = new Date(frame.at).toISOString().slice(11, 19)
  return `etl top — ${frame.pipeline ?? '(unnamed)'} — ${url} — ${time} UTC`
}

function health(frame: TopFrame): string[] {
  const kafka = frame.kafkaUp === undefined ? 'kafka ?' : frame.kafkaUp ? 'kafka up' : 'KAFKA DOWN'
  const readiness = frame.readiness
  const ready = readiness === undefined ? 'readiness ?' : readiness.ready ? 'ready' : 'NOT READY'
  const deadLetters = frame.records.filter((row) => row.outcome === 'dead_lettered')
  const dlq = deadLetters.reduce((sum, row) => sum + row.total, 0)
  const byCode = deadLetters.map((row) => `${row.code ?? '?'} ${count.format(row.total)}`).join(', ')
  const lines = [`${ready} │ ${kafka} │ dead letters ${count.format(dlq)}${byCode ? ` (${byCode})` : ''}`]
  for (const reason of readiness?.failing ?? []) lines.push(`  not ready: ${reason}`)
  return lines
}

function countTable(title: string, rows: CountRow[]): string[] {
  const header =
    `${title.padEnd(10)}${'PLUGIN'.padEnd(14)}${'OUTCOME'.padEnd(36)}${'RATE/s'.padStart(12)}` +
    `${'TOTAL'.padStart(14)}`
  if (rows.length === 0) return [header, '  (none yet)']
  const sorted = [...rows].sort((a, b) => stageOrder(a) - stageOrder(b) || labelOf(a).localeCompare(labelOf(b)))
  return [
    header,
    ...sorted.map(
      (row) =>
        `${row.stage.padEnd(10)}${(row.plugin || '-').padEnd(14)}${labelOf(row).padEnd(36)}` +
        `${(row.rate === undefined ? '…' : rate.format(row.rate)).padStart(12)}${count.format(row.total).padStart(14)}`,
    ),
  ]
}

const STAGES = ['source', 'process', 'transform', 'sink', 'chart']
const stageOrder = (row: CountRow) => (STAGES.indexOf(row.stage) + 1 || STAGES.length + 1) * 1000
const labelOf = (row: CountRow) => (row.code ? `${row.outcome} ${row.code}` : row.outcome)

function lagLines(frame: TopFrame): string[] {
  if (frame.lag.length === 0) return ['lag: not exported here (no process stage, or Kafka did not answer the scrape)']
  const total = frame.lag.reduce((sum, row) => sum + row.records, 0)
  const parts = frame.lag.map((row) => `${row.partition}: ${count.format(row.records)}`).join('  ')
  return [`lag ${count.format(total)} records on ${frame.lag[0].topic} │ by partition ${parts}`]
}

function latestLines(latest: NonNullable<RenderOptions['latest']>, width: number, room: number): string[] {
  const dropped = latest.dropped > 0 ? ` (${count.format(latest.dropped)} not shown: came faster than read)` : ''
  const title = `LATEST RECORD PER KEY, ${latest.place}${dropped}`
  if (latest.error) return [title, `  ${latest.error}`]
  if (latest.records.length === 0) return [title, '  (none yet)']
  const keyWidth = Math.min(24, Math.max(...latest.records.map((r) => r.key.length)) + 2)
  const shown = latest.records.slice(0, room - 1)
  const rows = shown.map((entry) => {
    const time = new Date(entry.at).toISOString().slice(11, 19)
    const prefix = `  ${entry.key.padEnd(keyWidth)}${time}  `
    return prefix + recordSummary(entry.record, width - prefix.length)
  })
  const more = latest.records.length - shown.length
  return [title, ...rows, ...(more > 0 ? [`  … ${more} more key(s)`] : [])].slice(0, room)
}

function cut(line: string, width: number): string {
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line
}
