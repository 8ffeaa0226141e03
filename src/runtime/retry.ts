/**
 * One retry policy for everything that retries: sources' HTTP calls, sinks' writes and flushes (sink-retry.ts), broker
 * start-up waits. Pipelines set it per stage with a runtime `retry:` key next to `type:`; plugins read it from
 * `context.retry`. Errors retrying cannot fix (a bad API key, a bad config) are rethrown at once.
 */
import {durationSchema, formatDuration, parseDuration, type Duration} from './duration.js'
import {EtlError, messageOf, type ErrorCode} from './errors.js'
import type {Logger} from './logger.js'

export interface RetryPolicy {
  /** Attempts in total, the first included; 0 = unlimited (retries until the pipeline shuts down). */
  maxAttempts: number
  /** The shortest wait before a retry; the first retry waits between this and twice this. */
  initialDelayMs: number
  /** Upper bound of any single wait. */
  maxDelayMs: number
}

/** Sources poll APIs that fail for minutes at a time (rate limits, outages): they retry while the pipeline runs. */
export const DEFAULT_SOURCE_RETRY: RetryPolicy = {maxAttempts: 0, initialDelayMs: 1000, maxDelayMs: 60_000}
/**
 * Sinks hold the batch the consumer waits on: a few quick tries ride out a locked file or a broker election (about
 * 8 s of waiting on average, at most 15 s), then the stage fails and nothing of the batch is committed.
 */
export const DEFAULT_SINK_RETRY: RetryPolicy = {maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000}

/** The policy of a stage whose entry has no `retry:` (transforms and charts get the sink one; they do not retry). */
export function defaultRetryPolicy(kind: string): RetryPolicy {
  return kind === 'source' ? DEFAULT_SOURCE_RETRY : DEFAULT_SINK_RETRY
}

/** The `retry:` key as written in a pipeline file. */
export interface RetryConfig {
  maxAttempts?: number
  initialDelay?: Duration
  maxDelay?: Duration
}

/** JSON Schema of the `retry:` key, with the defaults of the stage kind it documents. */
export function retryPolicySchema(defaults: RetryPolicy): Record<string, unknown> {
  const asConfig = toRetryConfig(defaults)
  return {
    type: 'object',
    description:
      'How failures of this stage are retried: exponential backoff with jitter (each wait is random between ' +
      'initialDelay and a bound that doubles per attempt, capped at maxDelay). Errors retrying cannot fix (bad API ' +
      'key, unknown coin, bad config) fail the stage at once.',
    additionalProperties: false,
    properties: {
      maxAttempts: {
        type: 'integer',
        minimum: 0,
        description:
          'Attempts in total, the first included; 0 = retry for as long as the pipeline runs. After N failures in a ' +
          'row the stage fails with the last error.',
        default: defaults.maxAttempts,
        examples: [...new Set([defaults.maxAttempts, 3, 10])],
      },
      initialDelay: durationSchema('Shortest wait before a retry.', asConfig.initialDelay),
      maxDelay: durationSchema('Longest wait between two attempts.', asConfig.maxDelay),
    },
    examples: [asConfig, {maxAttempts: 3, initialDelay: '200ms', maxDelay: '5s'}],
  }
}

function toRetryConfig(policy: RetryPolicy): Required<RetryConfig> {
  const text = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)
  return {maxAttempts: policy.maxAttempts, initialDelay: text(policy.initialDelayMs), maxDelay: text(policy.maxDelayMs)}
}

/** The policy for a `retry:` key (already schema-checked); fields it leaves out keep the stage kind's defaults. */
export function retryPolicyFrom(config: RetryConfig | undefined, defaults: RetryPolicy): RetryPolicy {
  return {
    maxAttempts: config?.maxAttempts ?? defaults.maxAttempts,
    initialDelayMs: config?.initialDelay === undefined ? defaults.initialDelayMs : parseDuration(config.initialDelay),
    maxDelayMs: config?.maxDelay === undefined ? defaults.maxDelayMs : parseDuration(config.maxDelay),
  }
}

/**
 * Wait before retry number `attempt` (1-based): full jitter above a floor — random between initialDelay and
 * initialDelay × 2^attempt, that bound capped at maxDelay. Never sooner than initialDelay (what users expect from the
 * name), never in lock-step with other clients, never longer than maxDelay.
 */
export function retryDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const floor = Math.min(policy.initialDelayMs, policy.maxDelayMs)
  const bound = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(1, attempt))
  const unit = Math.min(1, Math.max(0, random()))
  return Math.round(floor + (bound - floor) * unit)
}

/** Codes of errors no retry can fix. An error from a third-party plugin counts when its `code` property is one. */
export const PERMANENT_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'ETL_SOURCE_PERMANENT',
  'ETL_SINK_PERMANENT',
  'ETL_SINK_ACCESS',
  'ETL_SINK_SCHEMA',
  'ETL_SINK_CONFLICT',
  'ETL_CONFIG_INVALID',
  'ETL_CONFIG_ENV_MISSING',
  'ETL_RECORD_INVALID',
  'ETL_PLUGIN_FAILED',
])

export function isPermanentError(error: unknown): boolean {
  const code = (error as {code?: unknown} | null)?.code
  return typeof code === 'string' && PERMANENT_CODES.has(code)
}

export interface WithRetryOptions {
  /** Names the operation in log lines and the final error, e.g. 'flush' or 'CoinGecko /simple/price'. */
  describe: string
  logger: Logger
  /**
   * Shutdown. Never prevents the first attempt. With unlimited attempts, no retry starts once it aborted (the last
   * error is thrown); a finite policy runs its remaining attempts, which the shutdown grace period bounds.
   */
  signal?: AbortSignal
  /** Called once per retry with `retryEvent` (default 'retry'), e.g. the plugin's context.count. */
  count?: (event: string, amount?: number) => void
  retryEvent?: string
  /** Overrides which errors are thrown at once (default: isPermanentError). */
  isPermanent?: (error: unknown) => boolean
  /** Called before each wait: lets the caller say what it is waiting for (the shutdown timeout names it). */
  onRetry?: (retry: {attempt: number; delayMs: number; error: unknown}) => void
  /** Jitter source, replaceable in tests. */
  random?: () => number
  /** Sleep, replaceable in tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/**
 * Runs `operation` until it succeeds, retrying failures per `policy` with backoff. Throws at once for permanent
 * errors; after maxAttempts failures throws the last error's code (an EtlError keeps it) with a message saying how
 * many attempts were made.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: WithRetryOptions,
): Promise<T> {
  const {describe, logger} = options
  const isPermanent = options.isPermanent ?? isPermanentError
  const wait = options.sleep ?? sleep
  const unlimited = policy.maxAttempts <= 0
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await operation(attempt)
      if (attempt > 1) logger.info(`${describe}: succeeded at attempt ${attempt}`)
      return result
    } catch (error) {
      if (isPermanent(error)) throw error
      checkRetryAllowed(error, attempt, policy, options)
      const delayMs = retryDelay(attempt, policy, options.random)
      announceRetry(error, attempt, delayMs, policy, options)
      // A finite policy finishes even during shutdown: the batch it holds could still become durable.
      await wait(delayMs, unlimited ? options.signal : undefined)
      checkRetryAllowed(error, attempt, policy, options, {afterWait: true})
    }
  }
}

/** Throws the error with its history when no further attempt may be made: attempts used up, or shutting down. */
function checkRetryAllowed(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  options: WithRetryOptions,
  {afterWait = false} = {},
): void {
  const {describe, signal} = options
  const unlimited = policy.maxAttempts <= 0
  if (!afterWait && !unlimited && attempt >= policy.maxAttempts) {
    const times = `${attempt} time${attempt === 1 ? '' : 's'}`
    throw givingUp(error, `${describe} failed ${times} in a row (retry.maxAttempts ${policy.maxAttempts})`)
  }
  if (unlimited && signal?.aborted)
    throw givingUp(error, `${describe} failed ${attempt} times; not retrying while shutting down`)
}

/** Counts, reports and logs one retry before its wait. */
function announceRetry(
  error: unknown,
  attempt: number,
  delayMs: number,
  policy: RetryPolicy,
  options: WithRetryOptions,
): void {
  options.count?.(options.retryEvent ?? 'retry')
  options.onRetry?.({attempt, delayMs, error})
  options.logger.warn(`${options.describe} failed: ${messageOf(error)}; retrying in ${formatDuration(delayMs)}`, {
    attempt,
    maxAttempts: policy.maxAttempts <= 0 ? 'unlimited' : policy.maxAttempts,
    delayMs,
  })
}

/** The last error, keeping its code when it has one, with the retry history in front of its message. */
function givingUp(error: unknown, history: string): Error {
  const last = messageOf(error)
  const message = `${history}; last error: ${last}`
  if (error instanceof EtlError)
    return new EtlError(error.code, message, {cause: error, details: error.details, exitCode: error.exitCode})
  return new Error(message, {cause: error})
}

/** One backoff policy for loops that retry without a RetryPolicy (broker start-up waits, connection checks). */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialDelayMs: number
  /** Upper bound for any single delay. */
  maxDelayMs: number
  /** Growth factor per attempt. */
  multiplier?: number
  /** 0..1: the fraction of each delay that is randomised, so many clients do not retry in lock-step. */
  jitter?: number
}

/** Delay before retry number `attempt` (1-based): initial × multiplier^(attempt-1), capped, with jitter. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const multiplier = policy.multiplier ?? 2
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * multiplier ** Math.max(0, attempt - 1))
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.2))
  return Math.round(base * (1 - jitter) + base * jitter * random())
}

/** Sleeps, waking early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}
