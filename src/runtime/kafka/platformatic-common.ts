/** What every @platformatic/kafka client of etl shares: connection options, retry delays, and reading its errors. */
import type {BaseOptions} from '@platformatic/kafka'
import {EtlError, messageOf} from '../errors.js'
import {backoffDelay} from '../retry.js'

export interface PlatformaticBusOptions {
  brokers: string[]
  clientId: string
}

/**
 * Options of every client: 3 s to connect, and retries growing from 300 ms to 30 s apart, so a call survives a broker
 * restart of about a minute before it gives up (as the kafkajs clients do).
 */
export function baseOptions(
  options: PlatformaticBusOptions,
  retry = {retries: 8, initialDelayMs: 300, maxDelayMs: 30_000},
): BaseOptions {
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    connectTimeout: 3000,
    timeout: 30_000,
    retries: retry.retries,
    retryDelay: (_client, _operation, attempt) =>
      backoffDelay(attempt, {initialDelayMs: retry.initialDelayMs, maxDelayMs: retry.maxDelayMs}),
  }
}

interface NestedError {
  message?: string
  apiId?: string
  serverErrorMessage?: string | null
  errors?: unknown[]
  cause?: unknown
}

/** Every error inside one (MultipleErrors nest the failed attempts, ResponseErrors the broker's per-partition codes). */
export function* errorsIn(error: unknown, depth = 0): Generator<NestedError> {
  if (!error || typeof error !== 'object' || depth > 8) return
  const e = error as NestedError
  yield e
  for (const inner of e.errors ?? []) yield* errorsIn(inner, depth + 1)
  if (e.cause) yield* errorsIn(e.cause, depth + 1)
}

/** The broker's error names (e.g. UNKNOWN_MEMBER_ID) anywhere in an error. */
export function apiIdsOf(error: unknown): Set<string> {
  const ids = new Set<string>()
  for (const e of errorsIn(error)) if (e.apiId) ids.add(e.apiId)
  return ids
}

/**
 * A readable message: the library's top message ("produce failed 9 times.") says little, the innermost one says why.
 * The last distinct inner messages are appended.
 */
export function describeKafkaError(error: unknown): string {
  const messages: string[] = []
  for (const e of errorsIn(error)) {
    const text = e.apiId ? `${e.apiId}${e.serverErrorMessage ? ` (${e.serverErrorMessage})` : ''}` : e.message
    if (text && !messages.includes(text)) messages.push(text)
  }
  if (messages.length === 0) return messageOf(error)
  const [first, ...rest] = messages
  return rest.length === 0 ? first : `${first} ${rest.slice(-3).join('; ')}`
}

/** A newer producer with the same transactional id exists (Kafka says PRODUCER_FENCED, older brokers INVALID_PRODUCER_EPOCH). */
export function isFenced(error: unknown): boolean {
  const ids = apiIdsOf(error)
  return ids.has('PRODUCER_FENCED') || ids.has('INVALID_PRODUCER_EPOCH')
}

export function kafkaError(brokers: string[], what: string, error: unknown): EtlError {
  return new EtlError('ETL_KAFKA', `${what} failed at ${brokers.join(',')}: ${describeKafkaError(error)}`, {
    cause: error,
  })
}

/** Group answers after which a member has to join again: its membership or generation is gone. */
export const REJOIN_ERRORS = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR',
  'FENCED_INSTANCE_ID',
])

/** Said while a broker starts or a group rebalances; retried, and only worth a debug line (see kafkajs-bus.ts). */
export const TRANSIENT_ERRORS = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'REBALANCE_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
])

export function isTransient(error: unknown): boolean {
  for (const e of errorsIn(error)) {
    if (e.apiId && TRANSIENT_ERRORS.has(e.apiId)) return true
    if ((e as {code?: string}).code === 'PLT_KFK_NETWORK') return true
  }
  return false
}
