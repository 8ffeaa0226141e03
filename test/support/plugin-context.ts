/**
 * A PluginContext for unit tests: logs and counts are captured for assertions, paths resolve against a folder of the
 * test's choosing, and abort() plays the pipeline shutting down.
 */
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {Ajv} from 'ajv'
import {createLogger} from '../../src/runtime/logger.js'
import type {EtlRecord, PluginContext, PluginDefinition, PluginKind} from '../../src/runtime/plugin-types.js'

/** Fast retries, so a test of a failing dependency does not wait for the production backoff. */
export const TEST_RETRY = {maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 50}

export interface TestContext {
  context: PluginContext
  /** Every log line, formatted as text (debug included). */
  logs: string[]
  /** Totals of context.count(event, amount). */
  counts: Map<string, number>
  /** Records handed to context.reject, in order. */
  rejected: {record: EtlRecord; code: string; reason: string}[]
  /** Aborts context.signal, as the runtime does at shutdown. */
  abort(): void
}

export interface TestContextOverrides extends Partial<PluginContext> {
  /** Folder relative config paths resolve against (default: the process working directory). */
  cwd?: string
}

export function testContext(overrides: TestContextOverrides = {}): TestContext {
  const {cwd = process.cwd(), ...rest} = overrides
  const logs: string[] = []
  const counts = new Map<string, number>()
  const rejected: {record: EtlRecord; code: string; reason: string}[] = []
  const controller = new AbortController()
  const context: PluginContext = {
    logger: createLogger('test', {level: 'debug', format: 'text', write: (line) => logs.push(line)}),
    pipelineName: 'test-pipeline',
    pipelineDir: cwd,
    stateDir: join(tmpdir(), `etl-test-state-${process.pid}`),
    resolvePath: (path) => resolve(cwd, path),
    signal: controller.signal,
    count: (event, amount = 1) => counts.set(event, (counts.get(event) ?? 0) + amount),
    reject: (record, code, reason) => void rejected.push({record, code, reason}),
    retry: TEST_RETRY,
    ...rest,
  }
  return {context, logs, counts, rejected, abort: () => controller.abort()}
}

// Strict, unlike the runtime's validator, so a sloppy built-in schema fails its plugin's tests.
const ajv = new Ajv({useDefaults: true, allErrors: true, strict: true})

/** Validates a config against the plugin's schema and fills defaults, as the runtime does before create(). */
export function configFor<Kind extends PluginKind, Config>(
  definition: PluginDefinition<Kind, Config>,
  config: Record<string, unknown> = {},
): Config {
  const copy = structuredClone(config)
  const validate = ajv.compile(definition.configSchema)
  if (!validate(copy)) throw new Error(`invalid ${definition.name} config: ${ajv.errorsText(validate.errors)}`)
  return copy as Config
}
