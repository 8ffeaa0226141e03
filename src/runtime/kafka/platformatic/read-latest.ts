/**
 * readLatest with @platformatic/kafka: plain Fetch requests from each partition's first offset up to the end offsets
 * the call started with. No group is joined (the kafkajs reader needs a throwaway group for this; here a fetch needs
 * none), so nothing is left behind on the broker.
 */
import {Consumer, FetchIsolationLevels, type RecordsBatch} from '@platformatic/kafka'
import {sleep} from '../../retry.js'
import type {KafkaConnection} from '../core/bus-options.js'
import {CONNECT_TIMEOUT_MS, READ_LATEST_TIMEOUT_MS} from '../core/client-settings.js'
import {FETCH_MAX_BYTES} from './client-options.js'

/** Control batches (commit/abort markers) carry no records for the reader; bit 5 of a batch's attributes. */
const IS_CONTROL = 1 << 5

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
  timeoutMs = READ_LATEST_TIMEOUT_MS,
): Promise<Map<string, Buffer>> {
  const latest = new Map<string, Buffer>()
  const deadline = Date.now() + timeoutMs
  for (const {partition, low, high} of ranges) {
    let next = low
    while (next < high) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms reading partition ${partition} (at offset ${next} of ${high})`)
      const position = next
      for (const batch of await fetchBatches(reader, topic, partition, next)) next = takeBatch(latest, batch, next)
      // Nothing new: the rest is an open transaction (read_committed stops at its start) or on its way; ask again.
      if (next === position) await sleep(100)
    }
  }
  return latest
}

/** One Fetch of one partition from `offset`, from its leader: the record batches it answered (markers included). */
async function fetchBatches(
  reader: Consumer,
  topic: string,
  partition: number,
  offset: bigint,
): Promise<RecordsBatch[]> {
  const metadata = await reader.metadata({topics: [topic]})
  const topicMetadata = metadata.topics.get(topic)!
  const response = await reader.fetch({
    node: topicMetadata.partitions[partition].leader,
    maxWaitTime: 500,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    topics: [
      {
        topicId: topicMetadata.id,
        partitions: [
          {
            partition,
            fetchOffset: offset,
            // Small responses decode fastest (see FETCH_MAX_BYTES).
            partitionMaxBytes: FETCH_MAX_BYTES,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          },
        ],
      },
    ],
  })
  return response.responses
    .flatMap((topicResponse) => topicResponse.partitions)
    .filter((answer) => answer.partitionIndex === partition)
    .flatMap((answer) => answer.records ?? [])
}

/** Applies a batch's records from `next` on to `latest`; returns the offset after it (`next` if it ends before). */
function takeBatch(latest: Map<string, Buffer>, batch: RecordsBatch, next: bigint): bigint {
  const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
  if (end <= next) return next
  if (batch.attributes & IS_CONTROL) return end
  for (const record of batch.records) {
    if (batch.firstOffset + BigInt(record.offsetDelta) < next || !record.key) continue
    const key = record.key.toString('utf8')
    if (record.value === null) latest.delete(key)
    else latest.set(key, Buffer.from(record.value))
  }
  return end
}

export function createReader(connection: KafkaConnection): Consumer {
  return new Consumer({
    clientId: connection.clientId,
    bootstrapBrokers: connection.brokers,
    // Never joins it: the reader only fetches and lists offsets.
    groupId: `${connection.clientId}-reader`,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retries: 5,
    retryDelay: 300,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  })
}
