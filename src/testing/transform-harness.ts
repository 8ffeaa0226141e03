/**
 * Runs a transform plugin without Kafka: records in, records out, batch by batch as the process stage calls it, with
 * its rejections (dead letters), counts and logs captured, and its checkpoint/restore cycle available.
 */
import type {EtlRecord, PluginDefinition, TransformInstance} from '../runtime/plugin-types.js'
import {createInstance, PluginHarness} from './plugin-harness.js'
import type {TestContext, TestContextOptions} from './test-context.js'

export interface TransformHarnessOptions extends TestContextOptions {
  /** A snapshot from an earlier checkpoint(), handed to restore() before the first batch (as after a restart). */
  restore?: unknown
}

export class TransformHarness<Config = unknown> extends PluginHarness<'transform', Config> {
  private constructor(instance: TransformInstance, test: TestContext, config: Config) {
    super(instance, test, config)
  }

  /** Creates the instance from `config` (schema-checked, defaults filled) and restores `options.restore` if given. */
  static async create<Config>(
    definition: PluginDefinition<'transform', Config>,
    config: Record<string, unknown> = {},
    options: TransformHarnessOptions = {},
  ): Promise<TransformHarness<Config>> {
    const {instance, test, config: resolved} = await createInstance(definition, config, options)
    if (options.restore !== undefined) {
      if (!instance.restore)
        throw new TypeError(`transform "${definition.name}" has no restore(), but options.restore was given`)
      await instance.restore(options.restore)
    }
    return new TransformHarness(instance, test, resolved)
  }

  /** One batch, as the process stage hands it over; resolves what the transform passed on. */
  async process(records: EtlRecord[]): Promise<EtlRecord[]> {
    return this.instance.process(records.map((record) => structuredClone(record)))
  }

  /** What flush() returns at shutdown (nothing when the transform has no flush). */
  async flush(): Promise<EtlRecord[]> {
    return (await this.instance.flush?.()) ?? []
  }

  /** The snapshot the process stage would save now, round-tripped through JSON as the state topic does. */
  async checkpoint(): Promise<unknown> {
    const state = await this.instance.checkpoint?.()
    return state === undefined ? undefined : JSON.parse(JSON.stringify(state))
  }

  async close(): Promise<void> {
    await this.instance.close?.()
  }
}

export interface TransformRun {
  /** Everything the transform passed on, in order (every batch, then flush when asked). */
  records: EtlRecord[]
  /** The output of each batch. */
  batches: EtlRecord[][]
  /** What flush() returned (only with `flush: true`). */
  flushed: EtlRecord[]
  /** Records handed to context.reject. */
  rejected: TestContext['rejected']
  counts: Map<string, number>
  logs: string[]
  /** checkpoint() after the last batch: give it to `restore` of another run to play a restart. */
  state: unknown
}

export interface RunTransformOptions extends TransformHarnessOptions {
  /** Call flush() after the last batch, as at shutdown (default false: open windows stay open). */
  flush?: boolean
}

/**
 * Feeds `input` to a new instance of the transform and collects what comes out. `input` is one batch (an array of
 * records) or several (an array of arrays); windows close, and `emit: update` emits, per batch as in a pipeline.
 */
export async function runTransform<Config>(
  definition: PluginDefinition<'transform', Config>,
  config: Record<string, unknown>,
  input: EtlRecord[] | EtlRecord[][],
  options: RunTransformOptions = {},
): Promise<TransformRun> {
  const harness = await TransformHarness.create(definition, config, options)
  const batches = input.length > 0 && input.every(Array.isArray) ? (input as EtlRecord[][]) : [input as EtlRecord[]]
  const outputs: EtlRecord[][] = []
  for (const batch of batches) outputs.push(await harness.process(batch))
  const flushed = options.flush ? await harness.flush() : []
  const state = await harness.checkpoint()
  await harness.close()
  return {
    records: [...outputs.flat(), ...flushed],
    batches: outputs,
    flushed,
    rejected: harness.rejected,
    counts: harness.counts,
    logs: harness.logs,
    state,
  }
}
