/**
 * Runs a source plugin without Kafka and collects what it emits, with the checkpoint of each emit, until it ends by
 * itself (a finite source), a condition is met, or a time limit passes; then it is stopped the way the runtime stops
 * it (the signal aborts, run() is awaited, close() called).
 */
import type {EtlRecord, PluginDefinition} from '../runtime/plugin-types.js'
import {createInstance} from './plugin-harness.js'
import {TestClock} from './test-clock.js'
import type {TestContext, TestContextOptions} from './test-context.js'

export interface Emitted {
  records: EtlRecord[]
  /** The checkpoint passed with these records (undefined when none was). */
  checkpoint: unknown
}

export interface CollectSourceOptions extends TestContextOptions {
  /** The checkpoint of an earlier run, handed to restore() first (as after a restart). */
  restore?: unknown
  /** Stop once this many records were emitted. */
  records?: number
  /** Stop once this many emit calls were made. */
  emits?: number
  /** Stop when this returns true (called after each emit). */
  until?: (collected: {records: EtlRecord[]; emits: Emitted[]}) => boolean
  /** Stop after this much real time at the latest (default 10 s); a limit reached is not an error. */
  timeoutMs?: number
}

export interface SourceRun {
  records: EtlRecord[]
  emits: Emitted[]
  /** The last checkpoint emitted: what the next run's restore() would get. */
  checkpoint: unknown
  /** How the collection ended. */
  ended: 'finished' | 'condition' | 'timeout'
  rejected: TestContext['rejected']
  counts: Map<string, number>
  logs: string[]
  secrets: string[]
  clock: TestClock | undefined
}

/**
 * Creates the source from `config` (schema-checked, defaults filled), restores `options.restore`, runs it and
 * collects. Its clock is a TestClock in virtual time (`auto`) unless `options.clock` says otherwise, so polling
 * intervals pass at once. An error thrown by run() rejects the returned promise.
 */
export async function collectSource<Config>(
  definition: PluginDefinition<'source', Config>,
  config: Record<string, unknown> = {},
  options: CollectSourceOptions = {},
): Promise<SourceRun> {
  const {instance, test} = await createInstance(definition, config, {
    ...options,
    clock: options.clock ?? new TestClock({auto: true}),
  })
  if (options.restore !== undefined) await instance.restore?.(options.restore)
  const records: EtlRecord[] = []
  const emits: Emitted[] = []
  const stop = new AbortController()
  let ended: SourceRun['ended'] = 'finished'
  const met = () =>
    (options.records !== undefined && records.length >= options.records) ||
    (options.emits !== undefined && emits.length >= options.emits) ||
    (options.until?.({records, emits}) ?? false)
  const halt = (why: SourceRun['ended']) => {
    if (stop.signal.aborted) return
    ended = why
    stop.abort()
    test.abort()
  }
  const timer = setTimeout(() => halt('timeout'), options.timeoutMs ?? 10_000)
  try {
    await instance.run(async (batch, checkpoint) => {
      const copy = structuredClone(batch)
      records.push(...copy)
      emits.push({records: copy, checkpoint: checkpoint === undefined ? undefined : structuredClone(checkpoint)})
      if (met()) halt('condition')
    }, stop.signal)
  } finally {
    clearTimeout(timer)
    await instance.close?.()
  }
  const checkpoint = emits.findLast((emit) => emit.checkpoint !== undefined)?.checkpoint
  const {rejected, counts, logs, secrets, clock} = test
  return {records, emits, checkpoint, ended, rejected, counts, logs, secrets, clock}
}
