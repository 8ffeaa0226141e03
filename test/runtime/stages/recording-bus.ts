/** Test doubles for the process stage's pieces that talk to Kafka: a bus that records what it is asked to do. */
import type {StageConfig} from '../../../src/runtime/config/load-pipeline.js'
import type {BusMessage, BusProducer, MessageBus, TopicSpec} from '../../../src/runtime/kafka/message-bus.js'
import {definePlugin, type PluginKind} from '../../../src/runtime/plugin-types.js'

export interface Sent {
  topic: string
  messages: BusMessage[]
}

/** Records ensured topics, connects and sends; `failConnects` makes that many createProducer() calls reject. */
export class RecordingBus {
  readonly ensured: TopicSpec[] = []
  readonly sent: Sent[] = []
  connects = 0
  disconnects = 0
  failConnects = 0

  get bus(): MessageBus {
    return this as unknown as MessageBus
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    this.ensured.push(spec)
  }

  async endOffsets(): Promise<Map<number, bigint>> {
    return new Map()
  }

  async createProducer(): Promise<BusProducer> {
    this.connects += 1
    if (this.failConnects > 0) {
      this.failConnects -= 1
      throw new Error('broker unreachable')
    }
    return {
      send: async (topic, messages) => {
        this.sent.push({topic, messages})
        return new Map()
      },
      disconnect: async () => {
        this.disconnects += 1
      },
    }
  }
}

/** A pipeline stage entry of `kind`, labelled `label`, for a plugin named `type`. */
export function stageOf(kind: PluginKind, label: string, type = label, extra: Partial<StageConfig> = {}): StageConfig {
  const definition = definePlugin<PluginKind, unknown>({
    name: type,
    kind,
    summary: 'test',
    configSchema: {type: 'object', properties: {}},
    create: () => {
      throw new Error('not created in these tests')
    },
  })
  return {kind, type, label, definition, config: {}, path: [`${kind}s`, 0], ...extra}
}
