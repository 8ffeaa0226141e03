/** readLatest with kafkajs: a one-off reader of a compacted topic's latest value per key. */
import {randomUUID} from 'node:crypto'
import type {Admin, Consumer, Kafka, KafkaMessage} from 'kafkajs'
import {GROUP_TIMING, READ_LATEST_TIMEOUT_MS} from '../core/client-settings.js'

export interface ReadLatestInputs {
  kafka: Kafka
  /** Used to delete the throwaway group afterwards. */
  admin: Admin
  topic: string
  /** The topic's offsets when the read started: it ends once every partition was read up to its `high`. */
  offsets: {partition: number; low: string; high: string}[]
  groupPrefix: string
  timeoutMs?: number
}

/**
 * kafkajs has no consumer without a group (no manual assignment), so a throwaway group reads the topic from the
 * beginning. It commits nothing and is deleted afterwards. On a broker with group.initial.rebalance.delay.ms at its
 * default the join alone takes about 3 s; the local broker sets it to 0.
 */
export async function readLatestValues(inputs: ReadLatestInputs): Promise<Map<string, Buffer>> {
  const {kafka, admin, topic, timeoutMs = READ_LATEST_TIMEOUT_MS} = inputs
  const unread = new Map(
    inputs.offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
  )
  if (unread.size === 0) return new Map()
  const groupId = `${inputs.groupPrefix}-reader-${randomUUID()}`
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: GROUP_TIMING.sessionTimeout,
    heartbeatInterval: GROUP_TIMING.heartbeatInterval,
    maxWaitTimeInMs: 1000,
    readUncommitted: false,
  })
  try {
    await consumer.connect()
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    return await new LatestValues(consumer, unread).read(timeoutMs)
  } finally {
    await consumer.disconnect().catch(() => undefined)
    await admin.deleteGroups([groupId]).catch(() => undefined)
  }
}

/** The latest value per key, gathered until every partition was read up to its end offset. */
class LatestValues {
  private readonly latest = new Map<string, Buffer>()
  private done: () => void = () => undefined

  /** `unread`: end offset per partition still to reach; emptied as the read goes. */
  constructor(
    private readonly consumer: Consumer,
    private readonly unread: Map<number, bigint>,
  ) {}

  async read(timeoutMs: number): Promise<Map<string, Buffer>> {
    let timer: NodeJS.Timeout | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        this.done = resolve
        const timedOut = () =>
          `timed out after ${timeoutMs} ms with ${this.unread.size} partition(s) not read to the end`
        timer = setTimeout(() => reject(new Error(timedOut())), timeoutMs)
        this.consumer.on(this.consumer.events.CRASH, ({payload}) => {
          if (!payload.restart) reject(payload.error)
        })
        // A fetch of only markers or aborted records (a topic written in transactions can end in one) never reaches
        // eachBatch; kafkajs reports it with this event, which also follows every batch eachBatch handled.
        this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({payload}) =>
          this.reached(payload.partition, payload.lastOffset),
        )
        this.consumer
          .run({
            autoCommit: false,
            eachBatch: async ({batch}) => {
              for (const message of batch.messages) this.take(message)
              this.reached(batch.partition, batch.lastOffset())
            },
          })
          .catch(reject)
      })
    } finally {
      clearTimeout(timer)
    }
    return this.latest
  }

  private take(message: KafkaMessage): void {
    if (!message.key) return
    const key = message.key.toString('utf8')
    if (message.value === null) this.latest.delete(key)
    else this.latest.set(key, message.value)
  }

  private reached(partition: number, lastOffset: string): void {
    const end = this.unread.get(partition)
    // lastOffset() counts records kafkajs filtered out (markers, aborted records), so a partition ending in one ends.
    if (end !== undefined && BigInt(lastOffset) + 1n >= end) this.unread.delete(partition)
    if (this.unread.size === 0) this.done()
  }
}
