/**
 * Config fields and wording shared by the window and ohlc transforms, so both document the same semantics the same
 * way (the docs are generated from these descriptions).
 */
import {type Duration, durationSchema} from '../../../sdk/index.js'

export interface CommonWindowConfig {
  time: string
  key: string[]
  size: Duration
  slide?: Duration
  lateness: Duration
  emit: 'final' | 'update'
  late: 'dead-letter' | 'drop'
  passThrough: boolean
}

export const WINDOW_SEMANTICS =
  'Windows are aligned to the epoch (1970-01-01T00:00:00Z): a record at event time t belongs to every window ' +
  '[start, start + size) with start a multiple of slide; start is inclusive, end exclusive. (So 7d windows start on ' +
  'Thursdays, 1970-01-01 being a Thursday, and 1d windows at 00:00 UTC.) The watermark is kept per key: the latest ' +
  'event time accepted for that key minus lateness, advanced record by record in arrival order, so results do not ' +
  'depend on how partitions interleave or where batches begin and end. A record is late when every window it ' +
  "belongs to ends at or before its key's watermark; a record that is late only for some of its sliding windows " +
  'joins the others. Records with a missing or unreadable time are dead-lettered as ETL_RECORD_INVALID, records ' +
  'with a missing, NaN or infinite aggregated value as ETL_VALUE_NOT_FINITE; neither joins a window nor moves the ' +
  "watermark. Output records hold the key fields (as the key's first record had them, null when missing), " +
  'window_start and window_end (ISO 8601), then the aggregates; windows are emitted at the end of each batch, ' +
  'ordered by window end, then key. Open windows are not emitted at shutdown (a window cut short is not a ' +
  'result). Their state (open windows and per-key watermarks) is saved per partition with every committed batch ' +
  'to the compacted topic <group>.state, so a restart — after a crash too — or the worker a partition moves to ' +
  'continues them exactly. A snapshot taken with a different time, key, size, slide or aggregates is ignored ' +
  'with a warning.'

export function commonWindowProperties(sizeDefault?: Duration): Record<string, Record<string, unknown>> {
  return {
    time: {
      type: 'string',
      minLength: 1,
      description: 'Field holding the event time: ISO 8601 text or a number of epoch milliseconds.',
      default: 'timestamp',
      examples: ['timestamp'],
    },
    key: {
      type: 'array',
      items: {type: 'string', minLength: 1},
      uniqueItems: true,
      description:
        'Fields whose values group records; each group has its own windows and watermark. A missing ' +
        'field groups as empty. [] puts every record in one group.',
      default: ['symbol', 'vs_currency'],
      examples: [['symbol', 'vs_currency'], ['symbol']],
    },
    size: durationSchema('Length of each window.', sizeDefault),
    slide: durationSchema(
      'Distance between the starts of consecutive windows: > 0, ≤ size, and size / slide ≤ 1000 (a record joins ' +
        'size / slide windows when size is a multiple of slide). Required for sliding windows; tumbling windows ' +
        'have slide = size.',
    ),
    lateness: durationSchema(
      "How far behind its key's latest event time a record may be and still join its window: a window closes " +
        'once the watermark (latest event time − lateness) reaches its end.',
      '0s',
    ),
    emit: {
      type: 'string',
      enum: ['final', 'update'],
      description:
        "final: each window once, when the watermark closes it. update (like Spark's update mode): at the " +
        'end of every batch, the current value of each window that took a record in that batch; the last update ' +
        'of a window equals its final value. A closed window is then forgotten.',
      default: 'final',
      examples: ['final', 'update'],
    },
    late: {
      type: 'string',
      enum: ['dead-letter', 'drop'],
      description:
        'What happens to a late record: dead-letter (ETL_RECORD_LATE, with its event time, the watermark ' +
        'and the window) or drop (counted as late_dropped).',
      default: 'dead-letter',
      examples: ['dead-letter', 'drop'],
    },
    passThrough: {
      type: 'boolean',
      description:
        'Also pass every input record on, unchanged and in order, before the windows this batch emits, so one ' +
        "pipeline can store both (route them with the sinks' where:, e.g. window_start == null for the inputs). A " +
        'record the windows reject (late, unreadable time) is still dead-lettered for the windows and passed on.',
      default: false,
      examples: [false, true],
    },
  }
}

/** Output fields the engine writes itself, which an aggregate must not overwrite. */
export const WINDOW_FIELDS = ['window_start', 'window_end'] as const
