/**
 * Which brokers a run uses, and the embedded-default behaviour: a pipeline that uses the default local address, with
 * nothing listening there, gets the local broker started for it (like a database that starts on first use).
 */
import {DEFAULT_BROKER} from './paths.js'
import type {Logger} from './logger.js'
import {isPortOpen, startLocalBroker, stopLocalBroker} from './kafka-local/local-broker.js'

export type BrokerOrigin = 'flag' | 'pipeline' | 'KAFKA_BROKERS' | 'default'

export interface ResolvedBrokers {
  brokers: string[]
  origin: BrokerOrigin
}

/** Precedence: --brokers, then the pipeline's kafka.brokers, then $KAFKA_BROKERS, then 127.0.0.1:9092. */
export function resolveBrokers(
  flag: string | undefined,
  fromPipeline: string[] | undefined,
  env = process.env,
): ResolvedBrokers {
  const split = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  if (flag) return {brokers: split(flag), origin: 'flag'}
  if (fromPipeline?.length) return {brokers: fromPipeline, origin: 'pipeline'}
  if (env.KAFKA_BROKERS) return {brokers: split(env.KAFKA_BROKERS), origin: 'KAFKA_BROKERS'}
  return {brokers: [DEFAULT_BROKER], origin: 'default'}
}

/** True when the brokers are the default local address, whichever way they were given. */
export function isDefaultLocal(brokers: string[]): boolean {
  return brokers.length === 1 && ['127.0.0.1:9092', 'localhost:9092'].includes(brokers[0])
}

export interface LocalBrokerLease {
  /** Stops the broker if this lease started it; a broker that was already running is left alone. */
  release(): Promise<void>
}

/**
 * Starts the local broker when the brokers are the default local address and nothing listens there. Returns a lease
 * whose release() stops it again, so `etl run` leaves no broker behind that it started itself.
 */
export async function ensureLocalBroker(
  brokers: string[],
  stateRoot: string,
  logger: Logger,
): Promise<LocalBrokerLease> {
  const noop = {release: async () => undefined}
  if (!isDefaultLocal(brokers)) return noop
  if (await isPortOpen('127.0.0.1', 9092, 1000)) return noop
  logger.info(
    'no Kafka broker at 127.0.0.1:9092: starting the local broker ' +
      '(keep one running with `etl kafka start`; turn this off with --no-local-broker)',
  )
  const started = await startLocalBroker({stateDir: stateRoot, port: 9092, logger})
  logger.info(`local Kafka broker running at ${started.brokers}`, {pid: started.pid, log: started.logFile})
  if (started.alreadyRunning) return noop
  // A forced exit (second Ctrl-C) skips release(); the broker still gets its SIGTERM, and Kafka shuts down cleanly.
  const onExit = () => {
    try {
      process.kill(-started.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  process.once('exit', onExit)
  return {
    async release() {
      process.off('exit', onExit)
      logger.info('stopping the local Kafka broker this run started')
      await stopLocalBroker({stateDir: stateRoot, port: 9092, logger})
    },
  }
}
