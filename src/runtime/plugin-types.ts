/**
 * The contract between the runtime and every plugin, built-in or third-party. A plugin is one module exporting a
 * `PluginDefinition`; its JSON Schema is the single source for validation, defaults, `etl plugins` and the docs.
 */
import type {Logger} from './logger.js'
import type {RetryPolicy} from './retry.js'

export type PluginKind = 'source' | 'transform' | 'sink' | 'chart'
export const PLUGIN_KINDS: readonly PluginKind[] = ['source', 'transform', 'sink', 'chart']

/**
 * The version of this contract (the definition, the instances' lifecycles and the context). It changes only when a
 * plugin written against the previous version could break; new optional members do not change it. A plugin states the
 * version it was written for in `apiVersion`; the registry refuses one this etl does not provide (ETL_PLUGIN_API).
 */
export const PLUGIN_API_VERSION = 1 as const
/** Every plugin API version this etl runs plugins of. */
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly number[] = [1]

/** Wall time as plugins see it: the real clock in a pipeline, a controllable one in etl/testing. */
export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number
  /** Resolves after `ms` (or at once when `signal` aborts, without throwing). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** A record as it travels through the topic: a flat JSON object. */
export type EtlRecord = Record<string, unknown>

/** JSON Schema (draft 2020-12 subset that ajv understands) describing a plugin's config object. */
export interface ConfigSchema {
  type: 'object'
  description?: string
  properties: Record<string, Record<string, unknown>>
  required?: string[]
  additionalProperties?: boolean
  examples?: unknown[]
  [keyword: string]: unknown
}

/** Kafka as the runtime offers it to plugins: the same client and guarantees as the stages (idempotent, acks=all). */
export interface TopicProducer {
  /**
   * Produces records as JSON values to `topic` (created with `partitions` on first use if missing); resolves once the
   * broker acknowledged every one. Records with the same key keep their order.
   */
  produce(
    topic: string,
    messages: {key: string | null; value: EtlRecord}[],
    options?: {partitions?: number},
  ): Promise<void>
}

export interface PluginContext {
  /** Logger already labelled with the plugin's kind and name; secrets are redacted. */
  logger: Logger
  pipelineName: string
  /** Folder of the pipeline file: relative paths in config resolve against the working directory, see resolvePath. */
  pipelineDir: string
  /** Folder where plugins may keep state between runs (created on demand). */
  stateDir: string
  /** Resolves a path from config the way users expect: relative to the current working directory. */
  resolvePath(path: string): string
  /** Aborted when the pipeline is shutting down. */
  signal: AbortSignal
  /** Counts a named event (rejected record, retry, skipped duplicate…); totals are printed when the run ends. */
  count(event: string, amount?: number): void
  /**
   * Hands a record the plugin will not pass on (a late record, a NaN price) to the runtime, which sends it to the
   * dead-letter topic with `code`, `reason`, stage and plugin in its headers before the batch is committed, and counts
   * it. Never throws; outside the process stage the record is logged and counted instead.
   */
  reject(record: EtlRecord, code: string, reason: string): void
  /** Present in the process stage: lets a sink feed another topic (e.g. candles for another pipeline). */
  kafka?: TopicProducer
  /**
   * Present in the process stage: the consumer group and topic it reads. An exactly-once sink that keeps its positions
   * in the destination (a database table) keys them by these, so pipelines and topics sharing it never mix.
   */
  consumer?: {group: string; topic: string}
  /**
   * The stage's retry policy: its `retry:` key in the pipeline file, else the kind's defaults (sources: unlimited
   * attempts, 1s → 60s; sinks: 5 attempts, 500ms → 30s). A source applies it to its own fetches (withRetry in
   * retry.ts does backoff, jitter and permanent errors); a sink's write() and flush() are retried with it by the
   * runtime, so a sink must tolerate being called again with the same records after it threw (or throw an error with
   * code ETL_SINK_PERMANENT to fail at once).
   */
  retry: RetryPolicy
  /**
   * Registers a value that must never be printed (an API key read from the environment): it is masked in every log
   * line, error message and JSON output of this run from now on. Config fields named in the definition's `secrets`
   * are registered by the runtime already. Values shorter than 4 characters are ignored.
   */
  registerSecret(value: string | undefined): void
  /** The clock to read and sleep on (polling intervals, fallback timestamps), so tests can drive time. */
  clock: Clock
}

export interface SourceEmitter {
  /**
   * Hands records to the runtime, which produces them to the topic. Resolves once they are queued in the source
   * stage's bounded buffer (kafka.producerBuffer); when it is full, emit waits (backpressure) — so a source keeps
   * polling through a short broker outage and never runs far ahead of Kafka.
   *
   * `checkpoint`: a JSON-serialisable position of the source right after these records. When given, the records and
   * the checkpoint become visible together (one Kafka transaction), and the next run's `restore` receives the last
   * checkpoint that made it: a restart, even after kill -9, continues exactly after the last record in the topic.
   * A source that passes checkpoints should pass one with every emit (it may emit no records with a checkpoint).
   */
  (records: EtlRecord[], checkpoint?: unknown): Promise<void>
}

export interface SourceInstance {
  /**
   * Runs until the source is exhausted (a finite replay) or `signal` aborts (a poller). Must not throw for bad
   * upstream data or passing network faults: log, count and carry on; throw only for problems retrying cannot fix.
   */
  run(emit: SourceEmitter, signal: AbortSignal): Promise<void>
  /**
   * Called once, after create() and before run(), with the last checkpoint committed with this source's records (see
   * SourceEmitter); not called when there is none. The source must continue right after it. A checkpoint it cannot
   * use (the file changed, another config) is ignored with a warning. Sources with `restore` always write their
   * records in Kafka transactions; sources without it use the plain idempotent producer unless they pass checkpoints.
   */
  restore?(state: unknown): void | Promise<void>
  close?(): Promise<void>
}

export interface TransformInstance {
  /** Turns a batch of records into zero or more records; order within a key must be kept. */
  process(records: EtlRecord[]): EtlRecord[] | Promise<EtlRecord[]>
  /** Called at shutdown: returns records the transform still holds and wants emitted (open windows return none). */
  flush?(): EtlRecord[] | Promise<EtlRecord[]>
  /**
   * Returns a JSON-serialisable snapshot of the instance's state as of now (or a promise of it; undefined saves
   * nothing). The process stage calls it after each batch, once everything processed so far is durable in every
   * sink, and stores the snapshot in Kafka (topic `<group>.state`, only when its JSON changed) before it commits the
   * batch's offsets. Each instance serves one topic partition, so this is the state of that partition's keys.
   * Stateless transforms implement neither this nor restore.
   */
  checkpoint?(): unknown
  /**
   * Called once, right after create() and before any process(), with the snapshot the last checkpoint() of this
   * transform on this partition returned: the instance must continue exactly from it, whichever process or machine
   * took it. Not called when nothing was saved. A snapshot it cannot use (another config) should be ignored with a
   * warning rather than thrown on.
   */
  restore?(state: unknown): void | Promise<void>
  /** Releases resources. Also called without flush when the partition moved to another process (a rebalance). */
  close?(): Promise<void>
}

/** Which input a sink write comes from: the outputs of the consumed partition's messages up to `nextOffset - 1`. */
export interface SinkOrigin {
  partition: number
  nextOffset: bigint
}

export interface SinkInstance {
  /**
   * Accepts records; they need only be durable after `flush` resolves. A rejected call must have accepted nothing, so
   * calling it again is safe. In the process stage `origin` says which input the records come from; a sink that
   * implements `positions` gets a call per batch even when no record is routed to it, so its position still advances.
   */
  write(records: EtlRecord[], origin?: SinkOrigin): Promise<void>
  /**
   * Makes everything written so far durable; offsets are committed only after every sink's flush resolved. A sink
   * with `positions` records them here, atomically with the data. A rejected flush may be called again.
   */
  flush(): Promise<void>
  /**
   * Only for exactly-once sinks: per partition of `topic`, the offset after the last input whose outputs are durably
   * in the sink (recorded at flush). Called once, after create and before any write. The process stage skips the
   * outputs of inputs below it, so a batch replayed after a crash is not written twice. Undefined: at-least-once.
   * Exactly-once only holds when a transform chain's outputs are determined by its restored state and its inputs.
   */
  positions?(topic: string): Map<number, bigint> | undefined | Promise<Map<number, bigint> | undefined>
  close(): Promise<void>
}

/** Latest value of one series (a coin) in a chart's data, for the live page. */
export interface SeriesSummary {
  series: string
  /** Last value of the chart's value field (price or close). */
  latest: number
  /** Change from the first value in the chart's data window to the latest, absolute and in percent. */
  change: number
  changePct: number
  /** Event time of the latest value, ISO 8601. */
  at: string
}

export interface ChartRender {
  svg: string
  /** Files written (atomically: temp file + rename). */
  outputs: string[]
  /** Rows held in the data window, and rows actually drawn after downsampling. */
  points: number
  renderedPoints: number
  /** Wall time of this render, output files included. */
  ms: number
}

export interface ChartInstance {
  /** Adds rows to the chart's bounded data window. Cheap: never renders. Values may be strings (CSV) or numbers. */
  add(records: EtlRecord[]): void
  /** Forgets every row (the data file was truncated or replaced). */
  reset(): void
  /** Renders the current window to the configured outputs; keeps the parsed view between calls. */
  render(): Promise<ChartRender>
  summary(): SeriesSummary[]
  close(): Promise<void>
  /**
   * Optional: what the live dashboard needs to draw this chart in the browser with the same spec, and the rows as
   * they enter the chart's data window. Charts without it are shown on the dashboard as their rendered image only.
   */
  live?(): LiveChartSource
}

/** A chart as the browser draws it: its Vega-Lite spec, the roles of its row fields, and its rows as they arrive. */
export interface LiveChartSource {
  /** The Vega-Lite spec the chart renders (title applied); its data set `data.name` is fed with the rows. */
  spec: Record<string, unknown>
  /** Name of the spec's data set the rows go to. */
  data: string
  /**
   * Roles of the row fields: `time` (epoch ms, the x axis), `key` (one card per distinct value), `value` (the card's
   * number); `details` are the other fields a tooltip shows, in order.
   */
  fields: {time: string; key: string; value: string; details: string[]}
  /** Rows older than the latest row's time minus this (all keys) leave the window, as in the rendered chart. */
  windowMs?: number
  /**
   * Sets (or, with undefined, removes) the one listener of this chart's rows: `rows` with every row that entered the
   * window, in order (a row with the time of its key's latest row replaces it), `reset` when the window was emptied.
   */
  follow(listener: LiveRowsListener | undefined): void
}

export interface LiveRowsListener {
  rows(rows: Record<string, unknown>[]): void
  reset(): void
}

export interface ConfigIssue {
  /** Path inside the plugin's config, e.g. ['where'] or ['columns', 2]. */
  path: (string | number)[]
  message: string
}

/** What validateConfig may use: nothing connects at validation time, but files named in the config can be read. */
export interface ValidateContext {
  /** Folder of the pipeline file. */
  pipelineDir: string
  /** Resolves a path from config as PluginContext.resolvePath does (against the working directory). */
  resolvePath(path: string): string
}

export interface InstanceByKind {
  source: SourceInstance
  transform: TransformInstance
  sink: SinkInstance
  chart: ChartInstance
}

// `any` (not unknown) as the default config: a definition of any config type must be assignable to the default.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PluginDefinition<Kind extends PluginKind = PluginKind, Config = any> {
  /**
   * The plugin API version this plugin was written against, as a literal (`apiVersion: 1`): PLUGIN_API_VERSION read
   * at run time would be the running etl's, not the one the plugin was written for. Absent means 1. A version this
   * etl does not support is refused when the plugin is registered (ETL_PLUGIN_API).
   */
  apiVersion?: number
  name: string
  kind: Kind
  summary: string
  /** Config fields (top-level property names) whose values are secrets: redacted in logs, errors and JSON output. */
  secrets?: string[]
  configSchema: ConfigSchema
  /**
   * Checks what a JSON Schema cannot express (an expression's syntax, a field that must name another field). Runs at
   * validation time, after the schema passed, so its problems are reported with file:line:col like schema problems.
   */
  validateConfig?(config: Config, context: ValidateContext): ConfigIssue[] | Promise<ConfigIssue[]>
  /**
   * Sources only: true when this configuration produces as fast as Kafka takes its records (a bulk replay, a
   * backfill), so `worker: auto`, the default, runs the source stage in a worker thread next to the process stage.
   */
  isBulk?(config: Config): boolean
  /**
   * Sources only: true when this configuration ends by itself (a file played a set number of times). `etl run
   * --until-caught-up` runs both stages only with such a source; absent means the source runs until it is stopped.
   */
  isFinite?(config: Config): boolean
  /**
   * Sources only: what keys the messages of this source's records when the pipeline sets no `kafka.key`: an
   * expression over the record (`symbol`), as in map and filter. Records of one key stay in order on one partition, so
   * name what identifies a series. Undefined: the messages have no key.
   */
  messageKey?(config: Config): string | undefined
  create(config: Config, context: PluginContext): InstanceByKind[Kind] | Promise<InstanceByKind[Kind]>
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of definitions whose configs differ
export type AnyPluginDefinition = PluginDefinition<PluginKind, any>

/** Identity helper that gives plugin authors type checking and inference. */
export function definePlugin<Kind extends PluginKind, Config>(
  definition: PluginDefinition<Kind, Config>,
): PluginDefinition<Kind, Config> {
  return definition
}
