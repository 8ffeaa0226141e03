/**
 * Built-in plugins are written against the public SDK only, like third-party ones: a file under src/plugins/ may
 * import its own plugin's files, the shared library folder (src/plugins/shared/), the SDK's entry point
 * (src/sdk/index.ts, which is `etl/sdk`) and npm packages — nothing of the runtime, and no other plugin.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {expect} from 'chai'

const ROOT = resolve(import.meta.dirname, '../..')
const PLUGINS = join(ROOT, 'src/plugins')
const SDK_ENTRY = join(ROOT, 'src/sdk/index.ts')
/** The one file that wires the built-ins into a list: it imports every plugin, and nothing else. */
const BUILTINS = join(PLUGINS, 'builtin-plugins.ts')

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : []
  })
}

/** The plugin a file belongs to: its folder under <kind>/, or the file itself for a one-file plugin. */
function unitOf(file: string): string {
  const [first, second] = relative(PLUGINS, file).split('/')
  if (first === 'shared') return join(PLUGINS, 'shared')
  return second === undefined ? file : join(PLUGINS, first, second.replace(/\.(ts|js)$/, ''))
}

/** Why an import of `specifier` from `file` breaks the rule, or undefined when it is allowed. */
export function forbidden(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
    if (specifier === 'etl' || (specifier.startsWith('etl/') && specifier !== 'etl/sdk'))
      return 'etl internals by package name'
    return undefined
  }
  const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts')
  if (target === SDK_ENTRY) return undefined
  if (!target.startsWith(PLUGINS + '/')) return `outside src/plugins (${relative(ROOT, target)}); use etl/sdk`
  if (file === BUILTINS) return undefined
  const unit = unitOf(file)
  if (target.startsWith(join(PLUGINS, 'shared') + '/')) return undefined
  if (target === unit + '.ts' || target === unit || target.startsWith(unit + '/')) return undefined
  return `another plugin's file (${relative(ROOT, target)}); move what both need to src/plugins/shared`
}

describe('built-in plugins import only etl/sdk', () => {
  it('no file under src/plugins imports runtime internals or another plugin', () => {
    const files = sourceFiles(PLUGINS)
    expect(files.length).to.be.greaterThan(40)
    const offences: string[] = []
    for (const file of files) {
      for (const [, , specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const why = forbidden(file, specifier)
        if (why) offences.push(`${relative(ROOT, file)}: '${specifier}': ${why}`)
      }
    }
    expect(offences).to.deep.equal([])
  })

  it('the check itself catches each kind of offence', () => {
    const csv = join(PLUGINS, 'sink/csv/index.ts')
    expect(forbidden(csv, '../../../runtime/errors.js')).to.match(/outside src\/plugins/)
    expect(forbidden(csv, '../../../sdk/retry-helpers.js')).to.match(/outside src\/plugins/)
    expect(forbidden(csv, '../../source/replay/csv-rows.js')).to.match(/another plugin/)
    expect(forbidden(csv, 'etl/dist/runtime/plugin-types.js')).to.match(/etl internals/)
    expect(forbidden(csv, '../../../sdk/index.js')).to.equal(undefined)
    expect(forbidden(csv, './positions-file.js')).to.equal(undefined)
    expect(forbidden(csv, '../../shared/windowing/window-engine.js')).to.equal(undefined)
    expect(forbidden(join(PLUGINS, 'transform/sma.ts'), '../shared/rolling/indicator.js')).to.equal(undefined)
    expect(forbidden(join(PLUGINS, 'transform/sma.ts'), './ema.js')).to.match(/another plugin/)
    expect(forbidden(csv, 'csv-parse/sync')).to.equal(undefined)
  })
})
