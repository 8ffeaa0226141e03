/**
 * Writes records into a PostgreSQL table, exactly once in the process stage — also with several `--stage process`
 * workers writing one table. Each flush is one transaction holding the rows and, in `etl_offsets`, the consumed
 * position per (consumer group, table, topic, partition), the pattern of Kafka Connect's exactly-once sinks. The
 * runtime reads those positions at start and after every rebalance and skips what the table already holds; a flush
 * re-checks them under a row lock, so a zombie worker's late flush writes nothing twice.
 */
import {definePlugin} from '../../../sdk/index.js'
import {postgresConfigIssues, postgresConfigSchema, type PostgresSinkConfig} from './postgres-config.js'
import {PostgresSink} from './postgres-sink.js'

export type {PostgresSinkConfig} from './postgres-config.js'

export default definePlugin<'sink', PostgresSinkConfig>({
  name: 'postgres',
  kind: 'sink',
  summary: 'Writes records into a PostgreSQL table (insert or upsert), exactly once, also from several workers',
  secrets: ['url'],
  configSchema: postgresConfigSchema,
  validateConfig: postgresConfigIssues,
  create: (config, context) => PostgresSink.open(config, context),
})
