import type {Logger} from '../../logger.js'

/** What a MessageBus is made from, whichever client library implements it (create-bus.ts picks the library). */
export interface MessageBusOptions {
  brokers: string[]
  clientId: string
  logger: Logger
}

/** Where the brokers are and who connects: what each client library needs to open a connection. */
export type KafkaConnection = Pick<MessageBusOptions, 'brokers' | 'clientId'>
