/**
 * Builds the context a plugin instance receives: its own labelled logger, counters, paths, the shutdown signal and its
 * stage's retry policy.
 */
import {mkdirSync} from 'node:fs'
import {join, resolve} from 'node:path'
import type {StageConfig} from './config/load-pipeline.js'
import type {Counters} from './counters.js'
import {systemClock} from './clock.js'
import {registerSecret, type Logger} from './logger.js'
import type {EtlRecord, PluginContext, TopicProducer} from './plugin-types.js'
import {defaultRetryPolicy} from './retry.js'

export interface ContextInputs {
  stage: StageConfig
  pipelineName: string
  pipelineDir: string
  stateRoot: string
  logger: Logger
  counters: Counters
  signal: AbortSignal
  /** Where rejected records go (the process stage's dead-letter queue); default: log and count. */
  onReject?: (rejection: Rejection) => void
  /** Kafka access for plugins of the process stage. */
  kafka?: TopicProducer
  /** The process stage's consumer group and topic. */
  consumer?: {group: string; topic: string}
  /**
   * The topic partition a transform instance serves (the process stage runs one chain of transforms per partition):
   * each gets its own state folder and a log label naming the partition. Counters stay per plugin.
   */
  partition?: number
}

export interface Rejection {
  stage: StageConfig
  record: EtlRecord
  code: string
  reason: string
}

export function scopeOf(stage: StageConfig): string {
  return `${stage.kind} ${stage.label}`
}

export function createPluginContext(inputs: ContextInputs): PluginContext {
  const {stage, counters} = inputs
  const scope = scopeOf(stage)
  const partition = inputs.partition === undefined ? [] : [`p${inputs.partition}`]
  const pluginStateDir = join(
    inputs.stateRoot,
    'pipelines',
    inputs.pipelineName,
    `${stage.kind}-${stage.label}`,
    ...partition,
  )
  return {
    logger: inputs.logger.child([`${stage.kind}:${stage.label}`, ...partition].join('/')),
    pipelineName: inputs.pipelineName,
    pipelineDir: inputs.pipelineDir,
    get stateDir() {
      mkdirSync(pluginStateDir, {recursive: true})
      return pluginStateDir
    },
    // Paths in a pipeline resolve against the working directory, like every other CLI's relative paths.
    resolvePath: (path: string) => resolve(path),
    signal: inputs.signal,
    kafka: inputs.kafka,
    consumer: inputs.consumer,
    retry: stage.retry ?? defaultRetryPolicy(stage.kind),
    count: (event, amount = 1) => counters.add(scope, event, amount),
    registerSecret,
    clock: systemClock,
    reject(record, code, reason) {
      counters.add(scope, 'rejected')
      if (inputs.onReject) inputs.onReject({stage, record, code, reason})
      else inputs.logger.warn(`${stage.kind} ${stage.label} rejected a record: ${code} ${reason}`)
    },
  }
}
