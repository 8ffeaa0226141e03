/**
 * Records with event times, for tests of windows and other event-time transforms: the time a record is stamped with
 * is its event time (the `timestamp` field by default), whatever the wall clock says.
 */
import {parseDuration, type Duration} from '../runtime/duration.js'
import type {EtlRecord} from '../runtime/plugin-types.js'

function toMs(time: number | string): number {
  const ms = typeof time === 'number' ? time : Date.parse(time)
  if (!Number.isFinite(ms)) throw new TypeError(`unreadable event time ${JSON.stringify(time)}`)
  return ms
}

/** `fields` stamped with event time `time` (ISO 8601 or epoch ms) in `field` (default `timestamp`), as ISO 8601. */
export function at(time: number | string, fields: EtlRecord = {}, field = 'timestamp'): EtlRecord {
  return {...fields, [field]: new Date(toMs(time)).toISOString()}
}

/**
 * A cursor in event time: each record() is stamped with the current time, advance() moves it. Out-of-order and late
 * records are made by moving back (advance('-30s')) or with record(fields, {at}).
 *
 *   const time = new EventTimeline('2026-01-01T00:00:00Z')
 *   const input = [time.record({price_usd: 1}), time.advance('30s').record({price_usd: 2})]
 */
export class EventTimeline {
  private ms: number

  constructor(
    start: number | string,
    private readonly field = 'timestamp',
  ) {
    this.ms = toMs(start)
  }

  /** The cursor as epoch milliseconds. */
  get now(): number {
    return this.ms
  }

  /** Moves the cursor by a duration ("30s", "1m", or milliseconds); a leading "-" moves it back. */
  advance(by: Duration): this {
    const text = typeof by === 'string' ? by.trim() : by
    const back = typeof text === 'string' && text.startsWith('-')
    const ms = typeof text === 'number' ? text : parseDuration(back ? text.slice(1) : text)
    this.ms += back ? -ms : ms
    return this
  }

  /** `fields` stamped with the cursor's time (or `options.at`, an offset from the cursor or an absolute time). */
  record(fields: EtlRecord = {}, options: {at?: number | string} = {}): EtlRecord {
    const time = options.at === undefined ? this.ms : toMs(options.at)
    return at(time, fields, this.field)
  }

  /** One record per entry of `rows`, `step` apart, starting at the cursor, which is left at the last one's time. */
  records(rows: EtlRecord[], step: Duration): EtlRecord[] {
    return rows.map((row, i) => {
      if (i > 0) this.advance(step)
      return this.record(row)
    })
  }
}
