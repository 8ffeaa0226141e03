/** Picks the Kafka client library behind the runtime's MessageBus (`kafka.client` of a pipeline). */
import type {Logger} from '../logger.js'
import {createKafkajsBus} from './kafkajs-bus.js'
import type {MessageBus} from './message-bus.js'

export type KafkaClientName = 'kafkajs' | 'platformatic'

export const KAFKA_CLIENTS: readonly KafkaClientName[] = ['kafkajs', 'platformatic']

export interface MessageBusOptions {
  brokers: string[]
  clientId: string
  logger: Logger
}

/**
 * @platformatic/kafka is imported only when a pipeline asks for it: loading it (with its WebAssembly and schema
 * modules) adds about 55 MB of RSS to a process, which a kafkajs pipeline should not pay.
 */
export async function createMessageBus(client: KafkaClientName, options: MessageBusOptions): Promise<MessageBus> {
  if (client !== 'platformatic') return createKafkajsBus(options)
  const {createPlatformaticBus} = await import('./platformatic-bus.js')
  return createPlatformaticBus(options)
}
