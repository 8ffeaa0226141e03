/**
 * A pipeline file as TypeScript sees it once PIPELINE_SCHEMA accepted it: ajv's `useDefaults` has filled in every
 * default the schema states, so those fields are not optional here. Written by hand to match pipeline-schema.ts;
 * test/runtime/config/pipeline-document.test.ts fails when the two name different fields.
 */
import type {Duration} from '../duration.js'
import type {KafkaClientName} from '../kafka/create-bus.js'
import type {RetryConfig} from '../retry.js'

/** The runtime's keys of an entry; its other fields are the plugin's config (checked by the plugin's schema). */
interface EntryDocument {
  type: string
  name?: string
  [field: string]: unknown
}

export interface SourceEntry extends EntryDocument {
  retry: Required<RetryConfig>
  worker: boolean | 'auto'
}

export interface TransformEntry extends EntryDocument {
  when?: string
}

export interface SinkEntry extends EntryDocument {
  retry: Required<RetryConfig>
  where?: string
}

export interface ChartEntry extends EntryDocument {
  name: string
  data: 'stream' | {csv: string}
  every: Duration
}

export interface KafkaDocument {
  brokers?: string | string[]
  topic: string
  partitions: number
  /** Absent: min(3, brokers in the cluster), decided by the message bus when it creates a topic. */
  replicationFactor?: number
  clientId?: string
  groupId?: string
  fromBeginning: boolean
  key?: string
  deadLetterTopic?: string
  sourceStateTopic?: string
  /** Which Kafka client library the runtime talks through (see src/runtime/kafka/create-bus.ts). */
  client: KafkaClientName
  /** The source stage's buffer while Kafka does not take records. */
  producerBuffer: {maxRecords: number; whenFull: 'block' | 'drop-oldest'}
}

export interface PipelineDocument {
  name?: string
  description?: string
  plugins?: string[]
  kafka: KafkaDocument
  shutdown: {grace: Duration}
  /** The Prometheus endpoint of `etl run` (src/runtime/metrics/). */
  metrics: {enabled: boolean; port: number; host: string; eventTime: string[]}
  source?: SourceEntry
  /** Several sources instead of `source:` (source-entries.ts). */
  sources?: SourceEntry[]
  transforms: TransformEntry[]
  sinks: SinkEntry[]
  charts: ChartEntry[]
  /** What the live dashboard shows besides the charts (src/runtime/charts/dashboard/). */
  dashboard?: {alerts?: 'stream' | {csv: string}}
}
