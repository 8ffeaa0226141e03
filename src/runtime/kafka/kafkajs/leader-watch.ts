/**
 * Says in the log when the consumed topic's partition leaders move or a broker leaves or rejoins the cluster. kafkajs
 * rides such a failover out by itself (it refreshes its metadata and retries), but says nothing an operator can read:
 * this watch asks the cluster every few seconds and logs what changed, in one line per change. On a single broker it
 * stops after its first look.
 */
import type {Admin, Kafka} from 'kafkajs'
import {messageOf} from '../../errors.js'
import type {Logger} from '../../logger.js'

export const LEADER_WATCH_INTERVAL_MS = 3000

interface ClusterView {
  brokers: Set<number>
  leaders: Map<number, number>
}

export class LeaderWatch {
  private admin: Admin | undefined
  private timer: NodeJS.Timeout | undefined
  private last: ClusterView | undefined
  private checking = false

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly logger: Logger,
    private readonly intervalMs = LEADER_WATCH_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => void this.check(), this.intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.admin?.disconnect().catch(() => undefined)
    this.admin = undefined
  }

  private async check(): Promise<void> {
    if (this.checking) return // a check waiting on a dead broker must not pile up others behind it
    this.checking = true
    try {
      const view = await this.view()
      if (!this.last && view.brokers.size < 2) {
        await this.stop() // one broker: no leader can move, and its restart is logged by the consumer already
        return
      }
      if (this.last) this.report(this.last, view)
      this.last = view
    } catch (error) {
      this.logger.debug(`leader watch: asking the cluster failed: ${messageOf(error)}`)
    } finally {
      this.checking = false
    }
  }

  private async view(): Promise<ClusterView> {
    if (!this.admin) {
      const admin = this.kafka.admin({retry: {retries: 1}})
      await admin.connect()
      this.admin = admin
    }
    const cluster = await this.admin.describeCluster()
    const {topics} = await this.admin.fetchTopicMetadata({topics: [this.topic]})
    const partitions = topics.find((t) => t.name === this.topic)?.partitions ?? []
    return {
      brokers: new Set(cluster.brokers.map((b) => b.nodeId)),
      leaders: new Map(partitions.map((p) => [p.partitionId, p.leader])),
    }
  }

  private report(before: ClusterView, now: ClusterView): void {
    const left = [...before.brokers].filter((id) => !now.brokers.has(id))
    const joined = [...now.brokers].filter((id) => !before.brokers.has(id))
    const brokers = [...now.brokers].sort((a, b) => a - b).join(',')
    for (const id of left) this.logger.warn(`broker ${id} left the cluster (brokers now: ${brokers})`)
    for (const id of joined) this.logger.info(`broker ${id} joined the cluster (brokers now: ${brokers})`)
    const moved = [...now.leaders]
      .filter(([partition, leader]) => before.leaders.has(partition) && before.leaders.get(partition) !== leader)
      .map(([partition, leader]) => `${partition}: ${before.leaders.get(partition)}→${leader < 0 ? 'none' : leader}`)
    if (moved.length > 0) {
      this.logger.warn(`leader change on ${this.topic}: partition ${moved.join(', ')}`, {topic: this.topic})
    }
  }
}
