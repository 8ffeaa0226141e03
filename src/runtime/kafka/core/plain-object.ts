/**
 * The adapters implement the MessageBus interfaces as classes, but hand them out as plain objects: callers wrap a bus
 * or a consumer by spreading it (`{...bus, createConsumer() {…}}`, as tests inject faults), and a spread copies own
 * properties only, never a class's prototype methods.
 */
import type {BusConsumer, MessageBus, TransactionalProducer} from '../message-bus.js'

/** Every method of T, once each; a method added to the interface and missing here fails the type check. */
type AllMethods<T, L extends readonly (keyof T)[]> = Exclude<keyof T, L[number]> extends never ? L : never

function methodList<T>() {
  return <const L extends readonly (keyof T)[]>(list: AllMethods<T, L>): L => list
}

const BUS_METHODS = methodList<MessageBus>()([
  'checkConnection',
  'ensureTopic',
  'endOffsets',
  'committedOffsets',
  'readLatest',
  'createProducer',
  'createTransactionalProducer',
  'createConsumer',
  'close',
])
const CONSUMER_METHODS = methodList<BusConsumer>()(['run', 'stop'])
const TRANSACTIONAL_METHODS = methodList<TransactionalProducer>()(['sendAtomically', 'disconnect'])

/** An object with the listed methods of `instance`, bound to it, and nothing else. */
function bound<T extends object>(instance: T, methods: readonly (keyof T)[]): T {
  const plain: Partial<T> = {}
  for (const name of methods) {
    const method = instance[name]
    if (typeof method === 'function') plain[name] = method.bind(instance) as T[keyof T]
  }
  return plain as T
}

export const plainBus = (bus: MessageBus): MessageBus => bound(bus, BUS_METHODS)
export const plainConsumer = (consumer: BusConsumer): BusConsumer => bound(consumer, CONSUMER_METHODS)
export const plainTransactionalProducer = (producer: TransactionalProducer): TransactionalProducer =>
  bound(producer, TRANSACTIONAL_METHODS)
