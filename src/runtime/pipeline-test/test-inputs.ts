/**
 * The `input:` of a test as topic messages: each entry's value as the source stage would produce it (its record as
 * JSON, or raw text), on the partition the source stage would choose (the record's key, hashed as both Kafka clients
 * do), in batches as the process stage receives them.
 */
import {keyPartition} from '../kafka/core/key-partitioner.js'
import type {EtlRecord} from '../plugin-types.js'
import type {MessageKeyOf} from '../stages/message-key.js'
import type {InputBatch, InputMessage} from './test-model.js'

/** Why an input entry is unusable, with the path inside it; undefined when fine. */
export interface InputProblem {
  path: (string | number)[]
  message: string
}

type Entry = Record<string, unknown>

const isObject = (value: unknown): value is Entry =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const only = (entry: Entry, keys: string[]) => Object.keys(entry).every((key) => keys.includes(key))

/** The topic the inputs go to: its partitions, and the pipeline's message key (stages/message-key.ts). */
export interface InputTopic {
  partitions: number
  keyOf: MessageKeyOf
}

/** The partition of a keyed message, as the source stage's producer picks it; keyless messages go to partition 0. */
export function partitionOf(key: string | null, partitions: number): number {
  return key === null ? 0 : keyPartition(key, partitions)
}

function messageOf(
  entry: Entry,
  {partitions, keyOf}: InputTopic,
  problems: InputProblem[],
  path: (string | number)[],
): InputMessage | undefined {
  const wrapped = only(entry, ['record', 'partition', 'key']) && isObject(entry.record)
  const raw = only(entry, ['raw', 'partition', 'key']) && typeof entry.raw === 'string'
  const record = (wrapped ? entry.record : entry) as EtlRecord
  if (wrapped || raw) {
    if (entry.partition !== undefined && entry.key !== undefined) {
      problems.push({path: [...path, 'key'], message: 'give partition or key, not both'})
      return undefined
    }
    if (entry.partition !== undefined) {
      const partition = entry.partition
      if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= partitions) {
        problems.push({
          path: [...path, 'partition'],
          message: `partition must be an integer from 0 to ${partitions - 1}`,
        })
        return undefined
      }
      return {value: raw ? (entry.raw as string) : JSON.stringify(record), partition: partition as number}
    }
    if (entry.key !== undefined) {
      return {
        value: raw ? (entry.raw as string) : JSON.stringify(record),
        partition: partitionOf(String(entry.key), partitions),
      }
    }
    if (raw) return {value: entry.raw as string, partition: 0}
  }
  return {value: JSON.stringify(record), partition: partitionOf(keyOf(record), partitions)}
}

/** Consecutive messages of one partition in a `batch:` arrive together; each other entry is a batch of its own. */
function batchesOf(messages: InputMessage[]): InputBatch[] {
  const byPartition = new Map<number, InputMessage[]>()
  for (const message of messages)
    byPartition.set(message.partition, [...(byPartition.get(message.partition) ?? []), message])
  return [...byPartition].map(([partition, list]) => ({partition, messages: list}))
}

export function inputBatches(entries: unknown[], topic: InputTopic, problems: InputProblem[]): InputBatch[] {
  const batches: InputBatch[] = []
  for (const [index, entry] of entries.entries()) {
    if (!isObject(entry)) continue // the schema reported it
    if (only(entry, ['batch']) && Array.isArray(entry.batch)) {
      const messages = entry.batch.flatMap((inner, i) =>
        isObject(inner) ? (messageOf(inner, topic, problems, [index, 'batch', i]) ?? []) : [],
      )
      batches.push(...batchesOf(messages))
      continue
    }
    const message = messageOf(entry, topic, problems, [index])
    if (message) batches.push({partition: message.partition, messages: [message]})
  }
  return batches
}
