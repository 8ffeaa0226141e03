/** What every harness shares: a plugin instance created as the runtime creates it, and what its context captured. */
import type {InstanceByKind, PluginDefinition, PluginKind} from '../runtime/plugin-types.js'
import {pluginConfig} from './plugin-config.js'
import {testContext, type TestContext, type TestContextOptions} from './test-context.js'

export abstract class PluginHarness<Kind extends PluginKind, Config> {
  protected constructor(
    readonly instance: InstanceByKind[Kind],
    readonly test: TestContext,
    readonly config: Config,
  ) {}

  /** Records handed to context.reject (in a pipeline: dead letters). */
  get rejected() {
    return this.test.rejected
  }

  get counts() {
    return this.test.counts
  }

  get logs() {
    return this.test.logs
  }
}

/** `config` checked against the plugin's schema with its defaults filled in, then create() with a test context. */
export async function createInstance<Kind extends PluginKind, Config>(
  definition: PluginDefinition<Kind, Config>,
  config: Record<string, unknown>,
  options: TestContextOptions,
): Promise<{instance: InstanceByKind[Kind]; test: TestContext; config: Config}> {
  const resolved = pluginConfig(definition, config)
  const test = testContext(options)
  return {instance: await definition.create(resolved, test.context), test, config: resolved}
}
