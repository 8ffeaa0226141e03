/**
 * End-to-end latency from event time: for each record a sink wrote, the time from the first of `metrics.eventTime`'s
 * fields the record has to the write, reported as the durations `event_latency` (etl_event_latency_seconds). Records
 * without any of those fields, or with a value that is no time, are not timed. Nothing is measured while nobody
 * observes the counters (no metrics endpoint).
 */
import type {Counters} from '../counters.js'
import type {EtlRecord} from '../plugin-types.js'
import {eventTime} from '../record-values.js'

export class EventLatency {
  constructor(
    private readonly fields: readonly string[],
    private readonly counters: Counters,
    private readonly now: () => number = Date.now,
  ) {}

  /** Times `records`, just written by the sink of `scope`. */
  written(scope: string, records: readonly EtlRecord[]): void {
    if (this.fields.length === 0 || records.length === 0 || !this.counters.observed) return
    const now = this.now()
    const seconds: number[] = []
    for (const record of records) {
      const at = this.eventTimeOf(record)
      if (at !== undefined) seconds.push(Math.max(0, now - at) / 1000)
    }
    if (seconds.length > 0) this.counters.timedEach(scope, 'event_latency', seconds)
  }

  private eventTimeOf(record: EtlRecord): number | undefined {
    for (const field of this.fields) {
      if (record[field] === undefined) continue
      return eventTime(record, field)
    }
    return undefined
  }
}
