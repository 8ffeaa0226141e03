/** The connection and retry options every @platformatic/kafka client of etl is created with. */
import type {BaseOptions} from '@platformatic/kafka'
import {backoffDelay} from '../../retry.js'
import type {KafkaConnection} from '../core/bus-options.js'
import {CLIENT_RETRY, CONNECT_TIMEOUT_MS, type ClientRetry} from '../core/client-settings.js'

/** Every request gives up after 30 s, as kafkajs' requests do. */
const REQUEST_TIMEOUT_MS = 30_000

export function baseOptions(connection: KafkaConnection, retry: ClientRetry = CLIENT_RETRY): BaseOptions {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: connection.brokers,
    connectTimeout: CONNECT_TIMEOUT_MS,
    timeout: REQUEST_TIMEOUT_MS,
    retries: retry.retries,
    retryDelay: (_client, _operation, attempt) => backoffDelay(attempt, retry),
  }
}

/**
 * Small fetches: the library looks up each field of a response by walking its network chunks from the first
 * (@platformatic/dynamic-buffer), so decoding costs grow with the square of a response's size. At its default (50 MB)
 * a backlog decodes at a fraction of kafkajs' speed; at 1 MB (kafkajs' own per-partition default) it does not.
 */
export const FETCH_MAX_BYTES = 1_048_576
