/**
 * Each message's partition, picked by etl with kafkajs' default (Java-compatible) partitioner, so a send knows how many
 * records went to each partition (core/produced-offsets.ts).
 */
import {Partitioners, type Admin, type ICustomPartitioner, type Message, type PartitionerArgs} from 'kafkajs'
import type {PartitionCounts} from '../core/produced-offsets.js'
import type {BusMessage} from '../message-bus.js'

type Partitioner = ReturnType<ICustomPartitioner>
type PartitionMetadata = PartitionerArgs['partitionMetadata']

/** Keys whose partition is remembered per topic (a few in practice; the bound only guards odd sources). */
const MAX_CACHED_KEYS = 10_000

export class PartitionAssigner {
  private readonly partitioner: Partitioner = Partitioners.DefaultPartitioner()
  /** Partition metadata per topic, fetched once: partitions are only ever added, and etl never adds any. */
  private readonly metadata = new Map<string, Promise<PartitionMetadata>>()
  /** A key's partition is a hash of the key modulo the topic's partition count, which never changes: hashed once. */
  private readonly byKey = new Map<string, Map<string, number>>()

  /** `admin`: a connected admin client, to learn how many partitions a topic has. */
  constructor(private readonly admin: () => Promise<Admin>) {}

  /** The messages with their partitions set, each counted in `counts`. */
  async assign(topic: string, messages: BusMessage[], counts: PartitionCounts): Promise<Message[]> {
    const partitionMetadata = await this.partitionsOf(topic)
    let known = this.byKey.get(topic)
    if (!known) this.byKey.set(topic, (known = new Map()))
    return messages.map(({key, value, headers}) => {
      let partition = typeof key === 'string' ? known.get(key) : undefined
      if (partition === undefined) {
        partition = this.partitioner({topic, partitionMetadata, message: {key, value}})
        // Bounded, for sources with ever-new keys; unkeyed messages go round-robin and are never cached.
        if (typeof key === 'string' && known.size < MAX_CACHED_KEYS) known.set(key, partition)
      }
      counts.add(topic, partition)
      return headers === undefined ? {key, value, partition} : {key, value, headers, partition}
    })
  }

  private partitionsOf(topic: string): Promise<PartitionMetadata> {
    let known = this.metadata.get(topic)
    if (!known) {
      known = this.admin().then(
        async (admin) => (await admin.fetchTopicMetadata({topics: [topic]})).topics[0].partitions as PartitionMetadata,
      )
      known.catch(() => this.metadata.delete(topic)) // ask again next time
      this.metadata.set(topic, known)
    }
    return known
  }
}
