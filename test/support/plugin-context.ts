/**
 * The suite's plugin test helpers are the public test kit (etl/testing); this module keeps the names the tests use.
 */
import type {AnyPluginDefinition, ConfigIssue} from '../../src/runtime/plugin-types.js'

export {pluginConfig as configFor, testContext, TEST_RETRY, type TestContext} from '../../src/testing/index.js'

/** A plugin's validateConfig on an already schema-checked config, as `etl validate` calls it. */
export async function issuesOf(definition: AnyPluginDefinition, config: unknown): Promise<ConfigIssue[]> {
  return (await definition.validateConfig?.(config, {pipelineDir: process.cwd(), resolvePath: (p) => p})) ?? []
}
