/**
 * The process stage's one producer for everything it writes besides offsets: the dead-letter topic, the state topic
 * and the topics of sinks that produce to Kafka. Connected on first use; a failed connect is tried again next time.
 */
import type {BusProducer, MessageBus} from '../kafka/message-bus.js'
import type {TopicProducer} from '../plugin-types.js'

export class OutputProducer {
  private producer: Promise<BusProducer> | undefined
  /** Topics ensured (created when missing) by this process: each is asked for once. */
  private readonly knownTopics = new Set<string>()

  constructor(
    private readonly bus: MessageBus,
    private readonly settings: {replicationFactor?: number; partitions: number},
  ) {}

  /** The producer, connecting it when it is not yet. */
  shared(): Promise<BusProducer> {
    return (this.producer ??= this.bus.createProducer().catch((error) => {
      this.producer = undefined // the next send tries to connect again
      throw error
    }))
  }

  /** The producer, after making sure `topic` exists (created with `partitions` when it does not). */
  async forTopic(topic: string, partitions: number): Promise<BusProducer> {
    if (!this.knownTopics.has(topic)) {
      await this.bus.ensureTopic({topic, partitions, replicationFactor: this.settings.replicationFactor})
      this.knownTopics.add(topic)
    }
    return this.shared()
  }

  /** What plugins get as `context.kafka`: values as JSON, topics created with the pipeline's partitions by default. */
  topicProducer(): TopicProducer {
    return {
      produce: async (topic, messages, options = {}) => {
        if (messages.length === 0) return
        const producer = await this.forTopic(topic, options.partitions ?? this.settings.partitions)
        await producer.send(
          topic,
          messages.map((m) => ({key: m.key, value: JSON.stringify(m.value)})),
        )
      },
    }
  }

  /** Disconnects the producer if it was ever connected; a failure to do so is of no use to anyone at shutdown. */
  async disconnect(): Promise<void> {
    await this.producer?.then((producer) => producer.disconnect()).catch(() => undefined)
  }
}
