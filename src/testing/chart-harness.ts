/** Drives a chart plugin without a pipeline: rows in as the chart runner adds them, renders and summaries out. */
import type {ChartInstance, ChartRender, EtlRecord, PluginDefinition, SeriesSummary} from '../runtime/plugin-types.js'
import {createInstance, PluginHarness} from './plugin-harness.js'
import type {TestContext, TestContextOptions} from './test-context.js'

export class ChartHarness<Config = unknown> extends PluginHarness<'chart', Config> {
  private constructor(instance: ChartInstance, test: TestContext, config: Config) {
    super(instance, test, config)
  }

  static async create<Config>(
    definition: PluginDefinition<'chart', Config>,
    config: Record<string, unknown> = {},
    options: TestContextOptions = {},
  ): Promise<ChartHarness<Config>> {
    const {instance, test, config: resolved} = await createInstance(definition, config, options)
    return new ChartHarness(instance, test, resolved)
  }

  /** Rows as the chart runner adds them (CSV rows arrive as text, stream records as JSON values); copied. */
  add(rows: EtlRecord[]): void {
    this.instance.add(rows.map((row) => structuredClone(row)))
  }

  render(): Promise<ChartRender> {
    return this.instance.render()
  }

  summary(): SeriesSummary[] {
    return this.instance.summary()
  }

  reset(): void {
    this.instance.reset()
  }

  close(): Promise<void> {
    return this.instance.close()
  }
}
