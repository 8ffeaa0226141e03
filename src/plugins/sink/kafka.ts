/**
 * Produces records to another Kafka topic — how one pipeline feeds another (crypto_prices → ohlc → crypto_candles_1m,
 * consumed by a second pipeline). Records are buffered by write() and produced by flush(), which the runtime awaits
 * before committing the input offsets: every input record's outputs are on the topic before it counts as done.
 */
import {definePlugin, EtlError, type EtlRecord} from '../../sdk/index.js'

export interface KafkaSinkConfig {
  topic: string
  key: string
  partitions?: number
}

export default definePlugin<'sink', KafkaSinkConfig>({
  name: 'kafka',
  kind: 'sink',
  summary: 'Produces records to another Kafka topic (JSON values, keyed by a field)',
  configSchema: {
    type: 'object',
    description:
      "Produces each record as a JSON value to `topic` on the pipeline's brokers, with the runtime's idempotent, " +
      'acks=all producer; the topic is created on first use if missing. Records with the same key stay in order.',
    additionalProperties: false,
    required: ['topic'],
    properties: {
      topic: {
        type: 'string',
        pattern: '^[A-Za-z0-9._-]{1,249}$',
        description: 'Topic to produce to.',
        examples: ['crypto_candles_1m'],
      },
      key: {
        type: 'string',
        minLength: 1,
        default: 'symbol',
        description: 'Field whose value is the message key (partitioning and order); records without it get no key.',
        examples: ['symbol'],
      },
      partitions: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        description: "Partitions when the topic is created (default: the pipeline's kafka.partitions).",
      },
    },
    examples: [{topic: 'crypto_candles_1m'}],
  },

  create(config, context) {
    const kafka = context.kafka
    if (!kafka)
      throw new EtlError('ETL_INTERNAL', 'the kafka sink needs Kafka access, which only the process stage provides')
    let pending: EtlRecord[] = []
    const keyOf = (record: EtlRecord): string | null => {
      const value = record[config.key]
      return value === undefined || value === null ? null : String(value)
    }
    return {
      async write(records) {
        for (const record of records) pending.push(record)
      },
      async flush() {
        if (pending.length === 0) return
        const batch = pending
        await kafka.produce(
          config.topic,
          batch.map((record) => ({key: keyOf(record), value: record})),
          {partitions: config.partitions},
        )
        pending = pending === batch ? [] : pending.slice(batch.length)
        context.count('produced', batch.length)
      },
      async close() {
        pending = []
      },
    }
  },
})
