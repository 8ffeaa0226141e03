import {Flags} from '@oclif/core'
import {createRegistry, loadPipeline} from '../api/pipelines.js'
import {EtlCommand} from '../cli/base-command.js'
import {redact} from '../runtime/logger.js'
import {renderPluginsMarkdown, renderPluginsText} from '../runtime/plugin-docs.js'
import type {PluginRegistry} from '../runtime/plugin-registry.js'
import {PLUGIN_KINDS, type PluginDefinition, type PluginKind} from '../runtime/plugin-types.js'

export default class Plugins extends EtlCommand {
  static override summary = 'List the available plugins with their config fields.'
  static override examples = [
    '<%= config.bin %> plugins',
    '<%= config.bin %> plugins --kind sink',
    '<%= config.bin %> plugins --json',
    '<%= config.bin %> plugins --pipeline my.yaml   # includes the third-party plugins that file loads',
  ]
  static override enableJsonFlag = true
  static override flags = {
    kind: Flags.string({description: 'only plugins of this kind', options: [...PLUGIN_KINDS]}),
    json: Flags.boolean({description: 'print name, kind, summary and the full config JSON Schema of each plugin'}),
    markdown: Flags.boolean({description: 'print the Markdown reference (docs/PLUGINS.md)', exclusive: ['json']}),
    pipeline: Flags.string({description: 'also list the third-party plugins this pipeline file loads'}),
  }

  async run(): Promise<PluginEntry[]> {
    const {flags} = await this.parse(Plugins)
    const registry = flags.pipeline ? (await loadPipeline(flags.pipeline)).registry : createRegistry()
    const definitions = registry.list(flags.kind as PluginKind | undefined)
    if (!this.jsonEnabled()) {
      this.log(redact(flags.markdown ? renderPluginsMarkdown(definitions) : renderPluginsText(definitions)))
    }
    return definitions.map((definition) => pluginEntry(registry, definition))
  }
}

/** One plugin in the --json output. */
interface PluginEntry {
  name: string
  kind: PluginKind
  summary: string
  secrets: string[]
  origin?: string
  configSchema: unknown
}

function pluginEntry(registry: PluginRegistry, definition: PluginDefinition): PluginEntry {
  return {
    name: definition.name,
    kind: definition.kind,
    summary: definition.summary,
    secrets: definition.secrets ?? [],
    origin: registry.origin(definition.kind, definition.name),
    configSchema: definition.configSchema,
  }
}
