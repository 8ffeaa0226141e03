/**
 * A PluginContext for tests: log lines, counts, rejected records and registered secrets are captured for assertions,
 * paths resolve against a folder of the test's choosing, the clock is a TestClock, and abort() plays the pipeline
 * shutting down.
 */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {createLogger, type LogLevel} from '../runtime/logger.js'
import type {Clock, EtlRecord, PluginContext, TopicProducer} from '../runtime/plugin-types.js'
import type {RetryPolicy} from '../runtime/retry.js'
import {systemClock} from '../runtime/clock.js'
import {TestClock} from './test-clock.js'

/** Fast retries, so a test of a failing dependency does not wait for the production backoff. */
export const TEST_RETRY: RetryPolicy = {maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 50}

export interface Rejected {
  record: EtlRecord
  code: string
  reason: string
}

export interface TestContextOptions {
  /** Folder relative config paths resolve against (default: the process working directory). */
  cwd?: string
  /** context.stateDir (default: a new temporary folder). */
  stateDir?: string
  pipelineName?: string
  /** context.retry (default TEST_RETRY). */
  retry?: RetryPolicy
  /** context.clock (default: the real clock; pass a TestClock to drive time, as collectSource does). */
  clock?: Clock
  /** context.kafka, for sinks that produce to other topics. */
  kafka?: TopicProducer
  /** context.consumer: the process stage's consumer group and topic (exactly-once sinks key positions by them). */
  consumer?: {group: string; topic: string}
  /** Lowest level captured in `logs` (default debug). */
  logLevel?: LogLevel
}

export interface TestContext {
  context: PluginContext
  /** Every log line, formatted as text. */
  logs: string[]
  /** Totals of context.count(event, amount). */
  counts: Map<string, number>
  /** Records handed to context.reject, in order (in a pipeline: dead letters). */
  rejected: Rejected[]
  /** Values passed to context.registerSecret. */
  secrets: string[]
  /** The context's clock when it is a TestClock (the default). */
  clock: TestClock | undefined
  /** Aborts context.signal, as the runtime does at shutdown. */
  abort(): void
}

/** A context and everything captured through it; `overrides` replace members of the context itself. */
export function testContext(options: TestContextOptions = {}, overrides: Partial<PluginContext> = {}): TestContext {
  const cwd = options.cwd ?? process.cwd()
  const logs: string[] = []
  const counts = new Map<string, number>()
  const rejected: Rejected[] = []
  const secrets: string[] = []
  const controller = new AbortController()
  const clock = options.clock ?? systemClock
  let stateDir = options.stateDir
  const context: PluginContext = {
    logger: createLogger('test', {
      level: options.logLevel ?? 'debug',
      format: 'text',
      write: (line) => logs.push(line),
    }),
    pipelineName: options.pipelineName ?? 'test-pipeline',
    pipelineDir: cwd,
    get stateDir() {
      return (stateDir ??= mkdtempSync(join(tmpdir(), 'etl-test-state-')))
    },
    resolvePath: (path) => resolve(cwd, path),
    signal: controller.signal,
    count: (event, amount = 1) => void counts.set(event, (counts.get(event) ?? 0) + amount),
    reject: (record, code, reason) => void rejected.push({record, code, reason}),
    retry: options.retry ?? TEST_RETRY,
    registerSecret: (value) => void (value !== undefined && secrets.push(value)),
    clock,
    kafka: options.kafka,
    consumer: options.consumer,
    ...overrides,
  }
  return {
    context,
    logs,
    counts,
    rejected,
    secrets,
    clock: clock instanceof TestClock ? clock : undefined,
    abort: () => controller.abort(),
  }
}
