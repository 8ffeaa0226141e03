import {Command, Flags} from '@oclif/core'
import {createRegistry, loadPipeline} from '../api/pipelines.js'
import {renderError} from '../runtime/cli-errors.js'
import {redact} from '../runtime/logger.js'
import {renderPluginsMarkdown, renderPluginsText} from '../runtime/plugin-docs.js'
import {PLUGIN_KINDS, type PluginKind} from '../runtime/plugin-types.js'

export default class Plugins extends Command {
  static override summary = 'List the available plugins with their config fields.'
  static override examples = [
    '<%= config.bin %> plugins',
    '<%= config.bin %> plugins --kind sink',
    '<%= config.bin %> plugins --json',
    '<%= config.bin %> plugins --pipeline my.yaml   # includes the third-party plugins that file loads',
  ]
  static override flags = {
    kind: Flags.string({description: 'only plugins of this kind', options: [...PLUGIN_KINDS]}),
    json: Flags.boolean({description: 'print name, kind, summary and the full config JSON Schema of each plugin'}),
    markdown: Flags.boolean({description: 'print the Markdown reference (docs/PLUGINS.md)', exclusive: ['json']}),
    pipeline: Flags.string({description: 'also list the third-party plugins this pipeline file loads'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plugins)
    try {
      const registry = flags.pipeline ? (await loadPipeline(flags.pipeline)).registry : createRegistry()
      const definitions = registry.list(flags.kind as PluginKind | undefined)
      if (flags.json) {
        const out = definitions.map((d) => ({
          name: d.name,
          kind: d.kind,
          summary: d.summary,
          secrets: d.secrets ?? [],
          origin: registry.origin(d.kind, d.name),
          configSchema: d.configSchema,
        }))
        this.log(redact(JSON.stringify(out, null, 2)))
      } else if (flags.markdown) {
        this.log(redact(renderPluginsMarkdown(definitions)))
      } else {
        this.log(redact(renderPluginsText(definitions)))
      }
    } catch (error) {
      const {text, exitCode} = renderError(error)
      process.stderr.write(text + '\n')
      this.exit(exitCode)
    }
  }
}
