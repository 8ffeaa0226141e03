/**
 * The pipeline config the runtime uses: everything resolved, defaulted and converted (durations in milliseconds,
 * expressions compiled, plugins found). normalize-pipeline.ts is the one place it is made; nothing downstream reads
 * the pipeline file's raw fields.
 */
import type {CompiledExpression} from '../expression/expression.js'
import type {PluginRegistry} from '../plugin-registry.js'
import type {AnyPluginDefinition, PluginKind} from '../plugin-types.js'
import type {RetryPolicy} from '../retry.js'
import type {KafkaDocument, PipelineDocument} from './pipeline-document.js'

export interface StageConfig {
  kind: PluginKind
  type: string
  /** Label for logs: the entry's `name`, else its type. */
  label: string
  definition: AnyPluginDefinition
  /** The plugin's config with schema defaults filled in. */
  config: Record<string, unknown>
  /** Where the entry sits in the file, e.g. ['sinks', 0]. */
  path: (string | number)[]
  /** Sinks only: the records this sink receives (its `where:`); absent = all. */
  where?: CompiledExpression
  /** Transforms only: the records the transform applies to (its `when:`); the rest pass by it. Absent = all. */
  when?: CompiledExpression
  /** The entry's runtime `retry:` key, defaults filled in (sources and sinks; other kinds get the sink defaults). */
  retry?: RetryPolicy
  /** The source's runtime `worker:` key when true or false (source-worker.ts); undefined for `auto`. Sources only. */
  worker?: boolean
}

export type ChartDataSource = {kind: 'stream'} | {kind: 'csv'; path: string}

export interface ChartConfig extends StageConfig {
  data: ChartDataSource
  /** Minimum time between renders, in milliseconds. */
  everyMs: number
}

/** Fields of `kafka:` whose default depends on other fields; the others are the file's, schema defaults filled in. */
type DerivedKafkaField = 'brokers' | 'clientId' | 'groupId' | 'key' | 'deadLetterTopic' | 'sourceStateTopic'

export interface KafkaSettings extends Omit<KafkaDocument, DerivedKafkaField> {
  /** Only when the file sets them; the runtime decides the fallback (env, local broker). */
  brokers?: string[]
  clientId: string
  groupId: string
  /** The expression that keys messages: the file's `kafka.key`, else the source plugin's; absent: no key. */
  key?: string
  deadLetterTopic: string
  /** Compacted topic of the sources' checkpoints (default <groupId>.source-state). */
  sourceStateTopic: string
}

export interface PipelineConfig {
  file: string
  dir: string
  name: string
  description?: string
  kafka: KafkaSettings
  /**
   * The file's `source:` or `sources:`, in order; all write kafka.topic. Empty: the pipeline only consumes
   * kafka.topic, which something else fills.
   */
  sources: StageConfig[]
  transforms: StageConfig[]
  sinks: StageConfig[]
  charts: ChartConfig[]
  /** `dashboard:` — what the live page shows besides the charts: where the alert records are (absent: none). */
  dashboard: {alerts?: ChartDataSource}
  /** `shutdown:` — how long a clean stop may take after Ctrl-C / SIGTERM before the run gives up on it. */
  shutdown: {graceMs: number}
  /** `metrics:` — the Prometheus endpoint of `etl run`; its flags override it. */
  metrics: PipelineDocument['metrics']
  registry: PluginRegistry
  warnings: string[]
}
