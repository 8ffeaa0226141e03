/**
 * Source checkpoints in Kafka: a compacted topic, by default `<groupId>.source-state`, holding per pipeline source the
 * position it reached. Each value is written in the same Kafka transaction as the records it follows, so what a
 * read_committed reader sees here is exactly how far the records on the pipeline topic go — a restart (after kill -9)
 * resumes there and the topic gets every source record once.
 *
 * Key `<pipeline name>/<source label>`; value `{"seq": n, "label", "type", "at", "ends": {"<partition>": "<offset>"},
 * "checkpoint"}`. `seq` counts the source's transactions: after a commit whose answer was lost, reading `seq` back
 * tells whether it committed. `ends` is, per partition of the pipeline topic, the offset right after the last record
 * this source wrote there: where a finite run's process stage has caught up (the topic's end offset is a transaction
 * marker no consumer ever gets past as a record).
 */
import type {MessageBus} from '../kafka/message-bus.js'

export interface SourceState {
  /** Number of the last committed transaction of this source (0: none yet). */
  seq: number
  /** The position the source passed with its last records; undefined when it never passed one. */
  checkpoint: unknown
  label: string
  type: string
  /** When the transaction was written (ISO time), for people reading the topic. */
  at: string
  /** Per partition of the pipeline topic: the offset after the last record this source wrote there. */
  ends: Map<number, bigint>
}

const TOPIC_CHARACTERS = /[^A-Za-z0-9._-]/g

/** Same retention as the transform state topic: small segments, so compaction keeps about one value per key. */
export const SOURCE_STATE_TOPIC_CONFIG: Record<string, string> = {
  'cleanup.policy': 'compact',
  'segment.bytes': String(16 * 1024 * 1024),
  'segment.ms': String(60 * 60 * 1000),
}

/** `<groupId>.source-state`, made a legal topic name. */
export function sourceStateTopicOf(groupId: string): string {
  return `${groupId.replace(TOPIC_CHARACTERS, '_').slice(0, 236)}.source-state`
}

export function sourceStateKey(pipelineName: string, sourceLabel: string): string {
  return `${pipelineName}/${sourceLabel}`
}

export function encodeSourceState(state: SourceState): string {
  const ends = Object.fromEntries([...state.ends].map(([partition, offset]) => [String(partition), offset.toString()]))
  return JSON.stringify({
    seq: state.seq,
    label: state.label,
    type: state.type,
    at: state.at,
    ends,
    checkpoint: state.checkpoint,
  })
}

/** Later of two end maps, per partition. */
export function mergeEnds(a: Map<number, bigint>, b: Map<number, bigint>): Map<number, bigint> {
  const out = new Map(a)
  for (const [partition, offset] of b) if (offset > (out.get(partition) ?? -1n)) out.set(partition, offset)
  return out
}

function parseEnds(value: unknown): Map<number, bigint> {
  const out = new Map<number, bigint>()
  if (!value || typeof value !== 'object') return out
  for (const [partition, offset] of Object.entries(value)) {
    if (/^\d+$/.test(partition) && typeof offset === 'string' && /^\d+$/.test(offset))
      out.set(Number(partition), BigInt(offset))
  }
  return out
}

/** The committed state of one source, or undefined when there is none (or it is not one etl wrote). */
export async function readSourceState(bus: MessageBus, topic: string, key: string): Promise<SourceState | undefined> {
  const value = (await bus.readLatest(topic)).get(key)
  if (!value) return undefined
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Record<string, unknown>
    if (typeof parsed.seq !== 'number' || !Number.isInteger(parsed.seq)) return undefined
    const text = (field: unknown) => (typeof field === 'string' ? field : '')
    return {
      seq: parsed.seq,
      checkpoint: parsed.checkpoint,
      label: text(parsed.label),
      type: text(parsed.type),
      at: text(parsed.at),
      ends: parseEnds(parsed.ends),
    }
  } catch {
    return undefined
  }
}
