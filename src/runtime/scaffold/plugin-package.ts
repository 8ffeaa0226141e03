/**
 * `etl plugin new`: a plugin package of one kind, ready to build, test and list under `plugins:` in a pipeline. Its
 * files come from templates/plugin/common and templates/plugin/<kind>; its tool versions from etl's package.json.
 */
import {join, resolve} from 'node:path'
import {PLUGIN_API_VERSION, PLUGIN_KINDS, type PluginKind} from '../plugin-types.js'
import {defaultEtlSpec, devDependencyRange, etlPackage, templatesDir, type EtlPackage} from './etl-package.js'
import {packageNameProblems, pluginNameOf} from './package-name.js'
import {renderTemplateDir, type ScaffoldFile, type TemplateValues} from './render-template.js'
import {writeFilesOnce, type Scaffolded} from './write-files.js'

export interface PluginPackageOptions {
  /** npm package name, e.g. etl-plugin-upper or @me/etl-plugin-upper. */
  name: string
  kind: PluginKind
  /** Folder to write into (default ./<name without scope>). */
  dir?: string
  /** npm spec of the etl devDependency (default: this etl, by path). */
  etlSpec?: string
}

/** The example pipeline each kind's template holds (shown in the README, runnable in the package). */
export const EXAMPLE_PIPELINE = 'examples/pipeline.yaml'

/** Development tools of the new package: the ranges etl builds and tests itself with. */
export const PLUGIN_DEV_TOOLS = [
  'typescript',
  'tsx',
  'mocha',
  'chai',
  '@types/mocha',
  '@types/chai',
  '@types/node',
] as const

/** A name npm would refuse: a usage error of the command (exit 2), not an EtlError of a running pipeline. */
export class InvalidPackageNameError extends Error {
  constructor(
    readonly packageName: string,
    readonly problems: string[],
  ) {
    super(`"${packageName}" is not a valid npm package name: ${problems.join('; ')}`)
    this.name = 'InvalidPackageNameError'
  }
}

export function checkPackageName(name: string): void {
  const problems = packageNameProblems(name)
  if (name === 'etl') problems.push('"etl" is the name of etl itself, which the plugin depends on')
  if (problems.length > 0) throw new InvalidPackageNameError(name, problems)
}

function pluginValues(options: PluginPackageOptions, etl: EtlPackage): TemplateValues {
  const ranges = PLUGIN_DEV_TOOLS.map((tool) => devDependencyRange(tool, etl))
  const [ts, tsx, mocha, chai, typesMocha, typesChai, typesNode] = ranges
  return {
    packageName: options.name,
    // A YAML plain scalar cannot start with @: a scoped name is quoted under plugins:.
    packageNameYaml: options.name.startsWith('@') ? `"${options.name}"` : options.name,
    pluginName: pluginNameOf(options.name),
    kind: options.kind,
    etlRange: `^${etl.version}`,
    etlSpec: options.etlSpec ?? defaultEtlSpec(etl),
    pluginApi: PLUGIN_API_VERSION,
    typescriptRange: ts,
    tsxRange: tsx,
    mochaRange: mocha,
    chaiRange: chai,
    typesMochaRange: typesMocha,
    typesChaiRange: typesChai,
    typesNodeRange: typesNode,
  }
}

/**
 * The files of the package, rendered (nothing is written): the kind's own, then the common ones, whose README shows
 * the kind's example pipeline.
 */
export function pluginPackageFiles(options: PluginPackageOptions, etl: EtlPackage = etlPackage()): ScaffoldFile[] {
  checkPackageName(options.name)
  if (!PLUGIN_KINDS.includes(options.kind)) throw new TypeError(`unknown plugin kind ${JSON.stringify(options.kind)}`)
  const values = pluginValues(options, etl)
  const root = join(templatesDir(etl), 'plugin')
  const own = renderTemplateDir(join(root, options.kind), values)
  const example = own.find((file) => file.path === EXAMPLE_PIPELINE)?.content.trimEnd()
  if (example === undefined) throw new TypeError(`templates/plugin/${options.kind} has no ${EXAMPLE_PIPELINE}`)
  const common = renderTemplateDir(join(root, 'common'), {...values, pipelineExample: example})
  return [...common, ...own].sort((a, b) => a.path.localeCompare(b.path))
}

/** The folder a package of this name goes to by default: ./<name>, without its scope. */
export function defaultPluginDir(name: string): string {
  return resolve(name.replace(/^@[^/]*\//, ''))
}

/** Writes the package (all files or none: ETL_FILE_EXISTS when one is already there). */
export function createPluginPackage(options: PluginPackageOptions): Scaffolded {
  const files = pluginPackageFiles(options)
  const dir = resolve(options.dir ?? defaultPluginDir(options.name))
  return {dir, files: writeFilesOnce(dir, files)}
}
