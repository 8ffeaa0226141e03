/**
 * The one place a checked pipeline document becomes the PipelineConfig the runtime uses, as rollup's
 * normalizeInputOptions turns raw options into NormalizedInputOptions. The defaults the schema states are already in
 * the document (ajv `useDefaults`, pipeline-schema.ts); this adds only the ones that depend on other fields
 * (etl-<name>, <topic>.dlq, <groupId>.source-state, the file name) and converts: durations to milliseconds, broker
 * strings to lists, `where:` to compiled expressions, `worker: auto` to undefined.
 */
import {basename, dirname, extname, resolve} from 'node:path'
import {parseDuration} from '../duration.js'
import {compileExpression} from '../expression/expression.js'
import type {PluginRegistry} from '../plugin-registry.js'
import type {AnyPluginDefinition, PluginKind} from '../plugin-types.js'
import {defaultRetryPolicy, retryPolicyFrom} from '../retry.js'
import {sourceStateTopicOf} from '../state/source-state-store.js'
import type {ChartConfig, ChartDataSource, KafkaSettings, PipelineConfig, StageConfig} from './pipeline-config.js'
import {sourceEntriesOf} from './source-entries.js'
import type {
  ChartEntry,
  KafkaDocument,
  PipelineDocument,
  SinkEntry,
  SourceEntry,
  TransformEntry,
} from './pipeline-document.js'

/** What checking an entry against its plugin found: the plugin, and its config with the plugin's defaults. */
export interface StagePlugin {
  definition: AnyPluginDefinition
  config: Record<string, unknown>
}

/** The checked plugin of every stage entry, keyed by the entry object of the document (check-stages.ts). */
export type StagePlugins = ReadonlyMap<object, StagePlugin>

export interface PipelineOrigin {
  file: string
  registry: PluginRegistry
}

export function normalizePipeline(
  document: PipelineDocument,
  plugins: StagePlugins,
  origin: PipelineOrigin,
): PipelineConfig {
  const name = document.name ?? nameFromFile(origin.file)
  const pluginOf = (entry: object) => stagePlugin(plugins, entry)
  const sources = sourceEntriesOf<SourceEntry>(document)
  return {
    file: origin.file,
    dir: dirname(resolve(origin.file)),
    name,
    description: document.description,
    kafka: normalizeKafka(document.kafka, name, sources[0] && pluginOf(sources[0].entry)),
    sources: sources.map(({entry, path}) => normalizeSource(entry, pluginOf(entry), path)),
    transforms: document.transforms.map((entry, i) => normalizeTransform(entry, pluginOf(entry), ['transforms', i])),
    sinks: document.sinks.map((entry, i) => normalizeSink(entry, pluginOf(entry), ['sinks', i])),
    charts: document.charts.map((entry, i) => normalizeChart(entry, pluginOf(entry), ['charts', i])),
    dashboard: document.dashboard?.alerts === undefined ? {} : {alerts: dataSource(document.dashboard.alerts)},
    shutdown: {graceMs: parseDuration(document.shutdown.grace)},
    metrics: {...document.metrics},
    registry: origin.registry,
    warnings: [],
  }
}

/** The file's `kafka:` as it is, with the defaults derived from the pipeline name, the source and other fields. */
export function normalizeKafka(kafka: KafkaDocument, pipelineName: string, source?: StagePlugin): KafkaSettings {
  const groupId = kafka.groupId ?? `etl-${pipelineName}`
  const key = kafka.key ?? source?.definition.messageKey?.(source.config)
  return {
    ...kafka,
    brokers: brokerList(kafka.brokers),
    clientId: kafka.clientId ?? `etl-${pipelineName}`,
    groupId,
    ...(key === undefined ? {} : {key}),
    deadLetterTopic: kafka.deadLetterTopic ?? `${kafka.topic}.dlq`,
    sourceStateTopic: kafka.sourceStateTopic ?? sourceStateTopicOf(groupId),
  }
}

export function normalizeSource(entry: SourceEntry, plugin: StagePlugin, path: (string | number)[]): StageConfig {
  return {
    ...stageOf('source', entry, plugin, path),
    retry: retryPolicyFrom(entry.retry, defaultRetryPolicy('source')),
    ...(entry.worker === 'auto' ? {} : {worker: entry.worker}),
  }
}

export function normalizeTransform(entry: TransformEntry, plugin: StagePlugin, path: (string | number)[]): StageConfig {
  return {
    ...stageOf('transform', entry, plugin, path),
    ...(entry.when === undefined ? {} : {when: compileExpression(entry.when)}),
  }
}

export function normalizeSink(entry: SinkEntry, plugin: StagePlugin, path: (string | number)[]): StageConfig {
  return {
    ...stageOf('sink', entry, plugin, path),
    retry: retryPolicyFrom(entry.retry, defaultRetryPolicy('sink')),
    ...(entry.where === undefined ? {} : {where: compileExpression(entry.where)}),
  }
}

export function normalizeChart(entry: ChartEntry, plugin: StagePlugin, path: (string | number)[]): ChartConfig {
  return {
    ...stageOf('chart', entry, plugin, path),
    data: dataSource(entry.data)!,
    everyMs: parseDuration(entry.every),
  }
}

/** What every kind's stage has; a kind without a `retry:` key gets the kind's default policy. */
function stageOf(
  kind: PluginKind,
  entry: {type: string; name?: string},
  plugin: StagePlugin,
  path: (string | number)[],
): StageConfig {
  const {definition, config} = plugin
  const retry = defaultRetryPolicy(kind)
  return {kind, type: entry.type, label: entry.name ?? entry.type, definition, config, path, retry}
}

function stagePlugin(plugins: StagePlugins, entry: object): StagePlugin {
  const plugin = plugins.get(entry)
  // loadPipeline normalises only a document whose every entry was checked without a problem.
  if (!plugin) throw new Error('normalizePipeline: a stage entry was not checked against its plugin')
  return plugin
}

function brokerList(brokers: string | string[] | undefined): string[] | undefined {
  if (brokers === undefined) return undefined
  const list = Array.isArray(brokers) ? brokers : brokers.split(',')
  return list.map((broker) => broker.trim()).filter(Boolean)
}

/** The pipeline name when the file has no `name:`: its file name, made a legal name. */
function nameFromFile(file: string): string {
  const base = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '-')
  return /^[A-Za-z0-9]/.test(base) ? base : `pipeline-${base}`
}

/** `stream` or `{csv: <path>}` as written in the file (charts' `data:`, `dashboard.alerts:`). */
function dataSource(data: 'stream' | {csv: string} | undefined): ChartDataSource | undefined {
  if (data === undefined) return undefined
  return data === 'stream' ? {kind: 'stream'} : {kind: 'csv', path: data.csv}
}
