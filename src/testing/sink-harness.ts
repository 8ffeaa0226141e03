/**
 * Drives a sink plugin without Kafka: write() and flush() as the process stage calls them (optionally with the
 * input's origin, for exactly-once sinks), positions() as read at start, close() at the end.
 */
import type {EtlRecord, PluginDefinition, SinkInstance, SinkOrigin} from '../runtime/plugin-types.js'
import {createInstance, PluginHarness} from './plugin-harness.js'
import type {TestContext, TestContextOptions} from './test-context.js'

/** The origin of a write: the outputs of partition `partition`'s messages up to offset `nextOffset - 1`. */
export function origin(partition: number, nextOffset: number | bigint): SinkOrigin {
  return {partition, nextOffset: BigInt(nextOffset)}
}

export interface SinkHarnessOptions extends TestContextOptions {
  /** The topic the process stage would consume (default 'test-topic'): exactly-once sinks keep positions per topic. */
  topic?: string
}

type Positions = Record<number, number> | undefined

function plain(map: Map<number, bigint> | undefined): Positions {
  return map === undefined
    ? undefined
    : Object.fromEntries([...map].map(([partition, next]) => [partition, Number(next)]))
}

export class SinkHarness<Config = unknown> extends PluginHarness<'sink', Config> {
  private constructor(
    instance: SinkInstance,
    test: TestContext,
    config: Config,
    /**
     * What the sink reported when it started (the runtime asks once, before any write): per partition, the offset
     * after the last input durably in it. Undefined: an at-least-once sink. Create a new harness to see what a
     * restart would read.
     */
    readonly positions: Positions,
  ) {
    super(instance, test, config)
  }

  static async create<Config>(
    definition: PluginDefinition<'sink', Config>,
    config: Record<string, unknown> = {},
    options: SinkHarnessOptions = {},
  ): Promise<SinkHarness<Config>> {
    const {instance, test, config: resolved} = await createInstance(definition, config, options)
    const positions = plain(await instance.positions?.(options.topic ?? 'test-topic'))
    return new SinkHarness(instance, test, resolved, positions)
  }

  write(records: EtlRecord[], from?: SinkOrigin): Promise<void> {
    return this.instance.write(
      records.map((record) => structuredClone(record)),
      from,
    )
  }

  flush(): Promise<void> {
    return this.instance.flush()
  }

  /** One batch the way the process stage hands it over: write, then flush (durable when this resolves). */
  async deliver(records: EtlRecord[], from?: SinkOrigin): Promise<void> {
    await this.write(records, from)
    await this.flush()
  }

  close(): Promise<void> {
    return this.instance.close()
  }
}
