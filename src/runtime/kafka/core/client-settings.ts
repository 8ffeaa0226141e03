/**
 * The timings and retry budgets both clients run with, so a pipeline behaves the same whichever one it uses. Each
 * adapter translates them into its library's option names.
 */
import type {BackoffPolicy} from '../../retry.js'

/** A client library's own retries: how many, and the delays between them. */
export interface ClientRetry extends BackoffPolicy {
  retries: number
}

export const CONNECT_TIMEOUT_MS = 3000

/** Retries growing from 300 ms to 30 s apart: a call survives a broker restart of about a minute before it gives up. */
export const CLIENT_RETRY: ClientRetry = {retries: 8, initialDelayMs: 300, maxDelayMs: 30_000}

/** Idempotence needs unlimited retries (kafkajs warns otherwise); a send then waits out a broker restart. */
export const IDEMPOTENT_RETRY: ClientRetry = {...CLIENT_RETRY, retries: Number.MAX_SAFE_INTEGER}

/** checkConnection's probe: a couple of quick tries, so a missing broker is reported within seconds. */
export const PROBE_RETRY: ClientRetry = {retries: 2, initialDelayMs: 200, maxDelayMs: 1000}

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000

/**
 * A transactional producer gives up on a call after about 15 s (starting at 100 ms: the usual retriable answer is
 * CONCURRENT_TRANSACTIONS, while the previous transaction's markers are being written). The source stage then aborts
 * the transaction, builds a new producer and retries the whole transaction (see source-delivery.ts), which survives any
 * outage. Retrying for ever inside the library instead would leave a stuck transaction no shutdown could interrupt.
 */
export const TRANSACTIONAL_RETRY: ClientRetry = {retries: 8, initialDelayMs: 100, maxDelayMs: 5000}

/** Longer than any transaction etl runs (one send and one commit), far below the broker's default maximum (15 min). */
export const TRANSACTION_TIMEOUT_MS = 60_000

/**
 * A member that died without leaving holds its partitions until its session expires: 10 s instead of the libraries'
 * 30 s gets a restarted pipeline going sooner (heartbeats every 3 s keep a live one in). A rebalance waits 20 s for the
 * members to rejoin; batches here take milliseconds, so that is ample, and a member that vanished mid-rebalance delays
 * the others by at most that.
 */
export const GROUP_TIMING = {sessionTimeout: 10_000, heartbeatInterval: 3000, rebalanceTimeout: 20_000} as const

/**
 * On a cluster of several brokers a member's session must outlast the loss of the broker that coordinates its group:
 * the controller notices it after broker.session.timeout.ms (9 s by default), then the coordinator moves and loads the
 * group. With 10 s sessions every such loss expels the members, and the member that rejoins first takes partitions the
 * other still works on. 30 s rides it out; a worker that died then holds its partitions for 30 s instead of 10 s.
 */
export const CLUSTER_GROUP_TIMING = {sessionTimeout: 30_000, heartbeatInterval: 3000, rebalanceTimeout: 30_000} as const

/** retryTransient: how often, and how far apart, an admin call is tried again after a transient answer. */
export const TRANSIENT_RETRY = {attempts: 10, initialDelayMs: 200, maxDelayMs: 3000} as const

/** How long readLatest may take before it gives up on a topic. */
export const READ_LATEST_TIMEOUT_MS = 60_000
