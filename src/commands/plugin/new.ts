import {Args, Flags} from '@oclif/core'
import {createRegistry} from '../../api/pipelines.js'
import {EtlCommand} from '../../cli/base-command.js'
import {renderUsageError, type RenderedError} from '../../runtime/cli-errors.js'
import {PLUGIN_KINDS, type PluginKind} from '../../runtime/plugin-types.js'
import {defaultEtlSpec} from '../../runtime/scaffold/etl-package.js'
import {pluginNameOf} from '../../runtime/scaffold/package-name.js'
import {createPluginPackage, InvalidPackageNameError} from '../../runtime/scaffold/plugin-package.js'
import {cdStep, scaffoldReport, shownDir} from '../../runtime/scaffold/scaffold-report.js'

/** A folder as `npm install` takes it: a relative path must start with ./ or it would be read as a package name. */
function installSpec(dir: string): string {
  const shown = shownDir(dir)
  return shown.startsWith('/') || shown.startsWith('.') ? shown : `./${shown}`
}

function nextSteps(dir: string, name: string): string[] {
  return [
    ...cdStep(dir),
    'npm install        # etl, TypeScript and mocha; builds dist/',
    'npm test           # the tests in test/index.test.ts',
    'npx etl validate examples/pipeline.yaml   # a pipeline that uses the plugin',
    `back in your project: npm install ${installSpec(dir)}, then list ${name} under plugins: (see README.md)`,
  ]
}

export default class PluginNew extends EtlCommand {
  static override summary = 'Write a new plugin package (source, transform, sink or chart) with its tests.'
  static override description =
    'Writes an npm package holding one plugin of the given kind: package.json, tsconfig.json, src/index.ts (a small ' +
    'working plugin written with etl/sdk), test/index.test.ts (mocha + chai with etl/testing), an example pipeline, ' +
    'README.md and .gitignore. Writes nothing and exits 1 (ETL_FILE_EXISTS) when any of these files already exists.'
  static override examples = [
    '<%= config.bin %> plugin new etl-plugin-upper --kind transform',
    '<%= config.bin %> plugin new @me/etl-plugin-jsonl --kind sink --dir plugins/jsonl',
  ]
  static override args = {
    name: Args.string({
      description: 'npm package name of the plugin, e.g. etl-plugin-upper or @me/etl-plugin-upper',
      required: true,
    }),
  }
  static override flags = {
    kind: Flags.string({description: 'kind of plugin', options: [...PLUGIN_KINDS], required: true}),
    dir: Flags.string({description: 'folder to write the package into (default: ./<name without its scope>)'}),
    etl: Flags.string({
      description: 'npm spec of the etl devDependency the plugin builds and tests with (default: this etl, by path)',
      default: async () => defaultEtlSpec(),
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PluginNew)
    const kind = flags.kind as PluginKind
    const result = createPluginPackage({name: args.name, kind, dir: flags.dir, etlSpec: flags.etl})
    const type = pluginNameOf(args.name)
    const title = `Wrote the ${kind} plugin package ${args.name} (${kind} type "${type}") in ${shownDir(result.dir)}:`
    this.log(scaffoldReport(title, result, nextSteps(result.dir, args.name)))
    if (createRegistry().get(kind, type)) {
      process.stderr.write(
        `warning: etl has a built-in ${kind} named "${type}", so a pipeline cannot load this plugin next to it; ` +
          'rename it in src/index.ts\n',
      )
    }
  }

  /** A package name npm would refuse is a usage error, like an unknown --kind: oclif's exit code 2. */
  protected override renderError(error: unknown): RenderedError {
    return error instanceof InvalidPackageNameError ? renderUsageError(error.message) : super.renderError(error)
  }
}
