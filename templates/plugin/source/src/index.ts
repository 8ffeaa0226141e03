/**
 * {{packageName}}: an etl source plugin. Emits `count` records numbered 0, 1, 2… in batches, `interval` apart, then
 * ends. Every emit carries a checkpoint (the next number), which the pipeline commits together with the records, so a
 * restarted pipeline continues right after the last record that made it to Kafka: restore() receives it.
 */
import {definePlugin, durationSchema, parseDuration, type Duration, type EtlRecord} from 'etl/sdk'

export interface CounterConfig {
  /** Records to emit in all. */
  count: number
  /** Records per emit. */
  batchSize: number
  /** Wait between two emits. */
  interval: Duration
}

interface CounterCheckpoint {
  next: number
}

function isCheckpoint(state: unknown): state is CounterCheckpoint {
  const next = (state as Partial<CounterCheckpoint> | null)?.next
  return typeof next === 'number' && Number.isInteger(next) && next >= 0
}

export default definePlugin<'source', CounterConfig>({
  // The plugin API this was written for, as a literal: an etl that does not provide it refuses the plugin clearly.
  apiVersion: {{pluginApi}},
  name: '{{pluginName}}',
  kind: 'source',
  summary: 'Emits numbered counter records, resuming after a restart',
  configSchema: {
    type: 'object',
    description:
      'Emits {counter, timestamp} records with counter 0 … count − 1, batchSize at a time, then ends. A restart ' +
      'continues after the last record committed to Kafka.',
    additionalProperties: false,
    properties: {
      count: {type: 'integer', minimum: 0, default: 10, description: 'Records to emit in all.', examples: [10]},
      batchSize: {type: 'integer', minimum: 1, default: 5, description: 'Records per emit.', examples: [5]},
      interval: durationSchema('Wait between two emits.', '0s'),
    },
    examples: [{count: 100, batchSize: 10, interval: '1s'}],
  },

  create(config, context) {
    const intervalMs = parseDuration(config.interval)
    let next = 0
    return {
      restore(state) {
        if (isCheckpoint(state)) next = state.next
        else context.logger.warn(`ignoring a checkpoint this source did not write: ${JSON.stringify(state)}`)
      },
      async run(emit, signal) {
        while (next < config.count && !signal.aborted) {
          const end = Math.min(next + config.batchSize, config.count)
          const timestamp = new Date(context.clock.now()).toISOString()
          const records: EtlRecord[] = []
          for (let counter = next; counter < end; counter++) records.push({counter, timestamp})
          await emit(records, {next: end} satisfies CounterCheckpoint)
          next = end
          if (next < config.count) await context.clock.sleep(intervalMs, signal)
        }
      },
    }
  },
})
