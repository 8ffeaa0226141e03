/** Picks the Kafka client library behind the runtime's MessageBus (`kafka.client` of a pipeline). */
import type {MessageBusOptions} from './core/bus-options.js'
import {createKafkajsBus} from './kafkajs/bus.js'
import type {MessageBus} from './message-bus.js'

export type {MessageBusOptions} from './core/bus-options.js'

export type KafkaClientName = 'kafkajs' | 'platformatic'

export const KAFKA_CLIENTS: readonly KafkaClientName[] = ['kafkajs', 'platformatic']

/**
 * @platformatic/kafka is imported only when a pipeline asks for it: loading it (with its WebAssembly and schema
 * modules) adds tens of MB of RSS to a process, which a kafkajs pipeline should not pay (docs/BENCHMARKS.md).
 */
export async function createMessageBus(client: KafkaClientName, options: MessageBusOptions): Promise<MessageBus> {
  if (client !== 'platformatic') return createKafkajsBus(options)
  const {createPlatformaticBus} = await import('./platformatic/bus.js')
  return createPlatformaticBus(options)
}
