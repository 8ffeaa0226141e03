/** The replication factor of the topics etl creates when the pipeline names none. */
import type {Logger} from '../../logger.js'

/**
 * Three copies where the cluster has three brokers or more (a production cluster, `etl kafka start --nodes 3`), else
 * as many as there are brokers: a single local broker gets 1, and a topic is never asked for more replicas than the
 * cluster can place.
 */
export function defaultReplicationFactor(brokers: number): number {
  return Math.max(1, Math.min(3, brokers))
}

/** Asks the cluster's size once per bus (the first topic it creates without a replication factor), and says so. */
export class ReplicationDefault {
  private factor: Promise<number> | undefined

  constructor(
    private readonly countBrokers: () => Promise<number>,
    private readonly logger: Logger,
  ) {}

  of(asked: number | undefined): Promise<number> {
    if (asked !== undefined) return Promise.resolve(asked)
    this.factor ??= this.countBrokers().then(
      (brokers) => {
        const factor = defaultReplicationFactor(brokers)
        this.logger.info(`the cluster has ${brokers} broker(s): topics etl creates get ${factor} replica(s)`)
        return factor
      },
      (error: unknown) => {
        this.factor = undefined
        throw error
      },
    )
    return this.factor
  }
}
