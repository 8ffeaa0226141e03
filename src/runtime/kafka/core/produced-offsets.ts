/**
 * Both producers pick each record's partition themselves, so a send knows how many records went to each partition and
 * can report the offset right after its last record there: on a transactional topic the end offset is a commit marker
 * no consumer ever sees, so "caught up to the end" must be measured in record offsets.
 */
import type {PartitionCountsByTopic, ProducedOffsets} from '../message-bus.js'

/** What the broker answered for one partition of a send: the offset of its first record there. */
export interface WrittenPartition {
  topic: string
  partition: number
  /** Undefined or negative when the broker did not say (acks=0, or an error entry). */
  baseOffset: bigint | undefined
}

/** Records per topic and partition of one send. */
export class PartitionCounts {
  private readonly counts = new Map<string, Map<number, number>>()

  add(topic: string, partition: number, records = 1): void {
    let partitions = this.counts.get(topic)
    if (!partitions) this.counts.set(topic, (partitions = new Map()))
    partitions.set(partition, (partitions.get(partition) ?? 0) + records)
  }

  /** A copy of the counts so far. */
  snapshot(): PartitionCountsByTopic {
    return new Map([...this.counts].map(([topic, partitions]) => [topic, new Map(partitions)]))
  }

  /**
   * Per topic and partition written: its base offset + the records counted there. Partitions this send counted no
   * record in are left out.
   */
  offsetsAfter(written: Iterable<WrittenPartition>): Map<string, ProducedOffsets> {
    const out = new Map<string, ProducedOffsets>()
    for (const {topic, partition, baseOffset} of written) {
      const count = this.counts.get(topic)?.get(partition)
      if (count === undefined || baseOffset === undefined || baseOffset < 0n) continue
      let partitions = out.get(topic)
      if (!partitions) out.set(topic, (partitions = new Map()))
      partitions.set(partition, baseOffset + BigInt(count))
    }
    return out
  }
}

/** Adds `more` to `into`, topic by topic; a partition in both takes the later send's offset. */
export function mergeOffsets(into: Map<string, ProducedOffsets>, more: Map<string, ProducedOffsets>): void {
  for (const [topic, partitions] of more) into.set(topic, new Map([...(into.get(topic) ?? []), ...partitions]))
}
