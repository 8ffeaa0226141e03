/**
 * readLatest with @platformatic/kafka: plain Fetch requests from each partition's first offset up to the end offsets
 * the call started with. No group is joined (kafkajs-consumer.ts needs a throwaway group for this; here a fetch needs
 * none), so nothing is left behind on the broker.
 */
import {Consumer, FetchIsolationLevels} from '@platformatic/kafka'
import {sleep} from '../retry.js'

/** Control batches (commit/abort markers) carry no records for the reader; bit 5 of a batch's attributes. */
const IS_CONTROL = 1 << 5
const PARTITION_MAX_BYTES = 1024 * 1024 // small responses decode fastest (see FETCH_MAX_BYTES in platformatic-consumer.ts)

export interface PartitionRange {
  partition: number
  /** First offset still in the log. */
  low: bigint
  /** End offset when the read started. */
  high: bigint
}

/**
 * Reads each partition from `low` until `high`. The fetches are read_committed (the library drops aborted records);
 * the batches they return, markers included, advance the position, so a partition that ends in a marker or an aborted
 * transaction ends too.
 */
export async function readLatestValues(
  reader: Consumer,
  topic: string,
  ranges: PartitionRange[],
  timeoutMs = 60_000,
): Promise<Map<string, Buffer>> {
  const latest = new Map<string, Buffer>()
  const deadline = Date.now() + timeoutMs
  for (const {partition, low, high} of ranges) {
    let next = low
    while (next < high) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms reading partition ${partition} (at offset ${next} of ${high})`)
      const metadata = await reader.metadata({topics: [topic]})
      const topicMetadata = metadata.topics.get(topic)!
      const leader = topicMetadata.partitions[partition].leader
      const response = await reader.fetch({
        node: leader,
        maxWaitTime: 500,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        topics: [
          {
            topicId: topicMetadata.id,
            partitions: [
              {
                partition,
                fetchOffset: next,
                partitionMaxBytes: PARTITION_MAX_BYTES,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
      })
      let advanced = false
      for (const topicResponse of response.responses) {
        for (const answer of topicResponse.partitions) {
          if (answer.partitionIndex !== partition) continue
          for (const batch of answer.records ?? []) {
            const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
            if (end <= next) continue
            if (!(batch.attributes & IS_CONTROL)) {
              for (const record of batch.records) {
                if (batch.firstOffset + BigInt(record.offsetDelta) < next || !record.key) continue
                const key = record.key.toString('utf8')
                if (record.value === null) latest.delete(key)
                else latest.set(key, Buffer.from(record.value))
              }
            }
            next = end
            advanced = true
          }
        }
      }
      // Nothing new: the rest is an open transaction (read_committed stops at its start) or on its way; ask again.
      if (!advanced) await sleep(100)
    }
  }
  return latest
}

export function createReader(options: {brokers: string[]; clientId: string}): Consumer {
  return new Consumer({
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    // Never joins it: the reader only fetches and lists offsets.
    groupId: `${options.clientId}-reader`,
    connectTimeout: 3000,
    retries: 5,
    retryDelay: 300,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  })
}
