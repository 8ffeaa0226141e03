/**
 * Consumer lag per partition, read from Kafka when the endpoint is scraped (an async collect): the topic's end
 * offsets minus the group's committed offsets. Reading both at scrape time, not on every batch, keeps the cost off
 * the hot path and makes the figure what the group has durably done, which is what a restart would resume from.
 */
import {Gauge, type Registry} from 'prom-client'
import type {MessageBus} from '../kafka/message-bus.js'
import {withTimeout} from './with-timeout.js'

export interface ConsumerLagInputs {
  bus: MessageBus
  groupId: string
  topic: string
  /** How long a scrape waits for the broker (default 2 s); past it, the lag series are left out of that scrape. */
  timeoutMs?: number
}

/** Records a partition's end is ahead of the group's commit; a partition with no commit lags by its whole end. */
export function lagOf(end: Map<number, bigint>, committed: Map<number, bigint>): Map<number, number> {
  const lag = new Map<number, number>()
  for (const [partition, endOffset] of end) {
    const at = committed.get(partition) ?? -1n
    const behind = endOffset - (at < 0n ? 0n : at)
    lag.set(partition, Number(behind > 0n ? behind : 0n))
  }
  return lag
}

/** The group's lag summed over the topic's partitions, for the status line; undefined when Kafka does not answer. */
export async function totalLag(bus: MessageBus, groupId: string, topic: string, timeoutMs = 2000) {
  const read = Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)])
  const answer = await withTimeout(read, timeoutMs, 'Kafka (consumer lag)').catch(() => undefined)
  if (!answer) return undefined
  let total = 0
  for (const lag of lagOf(answer[0], answer[1]).values()) total += lag
  return total
}

export function registerConsumerLag(registry: Registry, inputs: ConsumerLagInputs): void {
  const {bus, groupId, topic} = inputs
  const timeoutMs = inputs.timeoutMs ?? 2000
  new Gauge({
    name: 'etl_consumer_lag_records',
    help:
      "Offsets the pipeline's consumer group has not committed yet, per partition of its topic (end offset minus " +
      'committed offset, read from Kafka at scrape time; transaction markers count as offsets).',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset()
      const [end, committed] = await withTimeout(
        Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)]),
        timeoutMs,
        'Kafka (consumer lag)',
      ).catch(() => [undefined, undefined])
      if (!end || !committed) return
      for (const [partition, lag] of lagOf(end, committed)) this.set({topic, partition: String(partition)}, lag)
    },
  })
}
