/**
 * eventTime (src/runtime/record-values.ts) on the bench's ISO timestamps (one record every 5 minutes), against
 * what it did before its fast path for toISOString's form: a decimal-number regex, then Date.parse.
 *   node --import tsx bench/micro/event-time.ts
 */
import {eventTime} from '../../src/runtime/record-values.js'
import {micro, ratio} from '../lib/micro-harness.js'

const START = Date.parse('2011-08-18T12:35:00.000Z')
const records = Array.from({length: 100_000}, (_, i) => ({timestamp: new Date(START + i * 300_000).toISOString()}))

function previous(record: Record<string, unknown>, field: string): number | undefined {
  const raw = record[field]
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined
  if (typeof raw === 'string' && raw !== '') {
    const ms = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw)
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}
for (const record of records)
  if (eventTime(record, 'timestamp') !== previous(record, 'timestamp'))
    throw new Error(`differs on ${record.timestamp}`)

const each = (read: (record: Record<string, unknown>, field: string) => number | undefined) => (ops: number) => {
  let sum = 0
  for (let i = 0; i < ops; i++) sum += read(records[i % records.length], 'timestamp')!
  return sum
}
const before = micro('regex + Date.parse (before)', 1_000_000, each(previous))
const after = micro('eventTime', 1_000_000, each(eventTime))
ratio('eventTime is faster by', before, after)
