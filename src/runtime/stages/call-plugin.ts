/**
 * The one place the runtime calls into a plugin and rewraps what it throws: the user then sees which plugin, of
 * which kind, in which stage and in which call it failed (ETL_PLUGIN_FAILED, the original error kept as `cause`).
 */
import {pluginFailure, type StageName} from '../errors.js'

/** What names a plugin in an error: a pipeline stage or chart, with the definition it was created from. */
export interface NamedPlugin {
  definition: {name: string; kind: string}
}

/**
 * Resolves what `call` resolves; a throw or rejection becomes ETL_PLUGIN_FAILED naming the plugin, the runtime stage
 * it ran in and `action` (the lifecycle method: create, write, flush…). An ETL_PLUGIN_FAILED passes through as is.
 */
export async function callPlugin<T>(
  plugin: NamedPlugin,
  stage: StageName,
  action: string,
  call: () => T | Promise<T>,
): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw pluginFailure(plugin.definition, stage, action, error)
  }
}
