import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parse as parseYaml} from 'yaml'
import {isEtlError} from '../../../src/runtime/errors.js'
import {PLUGIN_API_VERSION, PLUGIN_KINDS} from '../../../src/runtime/plugin-types.js'
import {etlPackage} from '../../../src/runtime/scaffold/etl-package.js'
import {
  createPluginPackage,
  defaultPluginDir,
  EXAMPLE_PIPELINE,
  InvalidPackageNameError,
  PLUGIN_DEV_TOOLS,
  pluginPackageFiles,
} from '../../../src/runtime/scaffold/plugin-package.js'

const REPO = resolve(import.meta.dirname, '../../..')
const ETL_MANIFEST = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string
  devDependencies: Record<string, string>
}

const FILES = [
  '.gitignore',
  '.mocharc.json',
  EXAMPLE_PIPELINE,
  'package.json',
  'README.md',
  'src/index.ts',
  'test/index.test.ts',
  'test/tsconfig.json',
  'tsconfig.json',
]

function fileOf(files: {path: string; content: string}[], path: string): string {
  const file = files.find((f) => f.path === path)
  if (!file) throw new Error(`no ${path} among ${files.map((f) => f.path).join(', ')}`)
  return file.content
}

describe('plugin package scaffold', () => {
  it('finds the running etl: this repository, its version and devDependencies', () => {
    const etl = etlPackage()
    expect(etl.root).to.equal(REPO)
    expect(etl.version).to.equal(ETL_MANIFEST.version)
    expect(etl.devDependencies).to.deep.equal(ETL_MANIFEST.devDependencies)
  })

  for (const kind of PLUGIN_KINDS) {
    describe(kind, () => {
      const files = pluginPackageFiles({name: 'etl-plugin-thing', kind})

      it('has package.json, tsconfig, mocha config, plugin, test, example, README and .gitignore', () => {
        expect(files.map((file) => file.path).sort()).to.deep.equal([...FILES].sort())
      })

      it('package.json: ESM, exports with a default condition, scripts, etl as peer and devDependency', () => {
        const manifest = JSON.parse(fileOf(files, 'package.json'))
        expect(manifest.name).to.equal('etl-plugin-thing')
        expect(manifest.type).to.equal('module')
        expect(manifest.exports).to.deep.equal({'.': {types: './dist/index.d.ts', default: './dist/index.js'}})
        expect(manifest.scripts).to.include({build: 'tsc -p tsconfig.json', test: 'mocha', prepare: 'npm run build'})
        expect(manifest.peerDependencies).to.deep.equal({etl: `^${ETL_MANIFEST.version}`})
        expect(manifest.etl).to.deep.equal({pluginApi: PLUGIN_API_VERSION})
        const tools = Object.fromEntries(PLUGIN_DEV_TOOLS.map((tool) => [tool, ETL_MANIFEST.devDependencies[tool]]))
        expect(manifest.devDependencies).to.deep.equal({...tools, etl: `file:${REPO}`})
        for (const range of Object.values(manifest.devDependencies)) expect(range).to.be.a('string').and.not.equal('')
      })

      it('mocha runs test/**/*.test.ts with tsx and forbids .only; tsc builds src/ to dist/ with declarations', () => {
        const mocharc = JSON.parse(fileOf(files, '.mocharc.json'))
        expect(mocharc).to.include({'forbid-only': true})
        expect(mocharc['node-option']).to.deep.equal(['import=tsx'])
        expect(mocharc.spec).to.deep.equal(['test/**/*.test.ts'])
        const {compilerOptions} = JSON.parse(fileOf(files, 'tsconfig.json'))
        const wanted = {module: 'NodeNext', strict: true, outDir: 'dist', rootDir: 'src', declaration: true}
        expect(compilerOptions).to.include(wanted)
      })

      it(`the plugin is a ${kind} named after the package, for the plugin API, imported from etl/sdk`, () => {
        const source = fileOf(files, 'src/index.ts')
        expect(source).to.include("from 'etl/sdk'")
        expect(source).to.include(`kind: '${kind}'`)
        expect(source).to.include("name: 'thing'")
        expect(source).to.include('apiVersion: 1,')
        const test = fileOf(files, 'test/index.test.ts')
        expect(test).to.include("from 'etl/testing'").and.include("from '../src/index.js'")
      })

      it('the example pipeline loads the package and uses the plugin; the README shows it', () => {
        const example = parseYaml(fileOf(files, EXAMPLE_PIPELINE))
        expect(example.plugins).to.deep.equal(['etl-plugin-thing'])
        const stages = [example.source, ...(example.transforms ?? []), ...example.sinks, ...(example.charts ?? [])]
        expect(stages.filter((stage) => stage.type === 'thing')).to.have.length(1)
        expect(fileOf(files, 'README.md')).to.include(fileOf(files, EXAMPLE_PIPELINE).trimEnd())
      })

      it('leaves no placeholder behind and no line over 120 characters', () => {
        for (const {path, content} of files) {
          expect(content, path).to.not.match(/\{\{\s*[A-Za-z][A-Za-z0-9_]*\s*\}\}/)
          const lines = content.split('\n')
          for (const [i, line] of lines.entries()) expect(line.length, `${path}:${i + 1}`).to.be.at.most(120)
        }
      })
    })
  }

  it('takes the etl spec from etlSpec, and quotes a scoped name in YAML', () => {
    const files = pluginPackageFiles({name: '@me/etl-plugin-jsonl', kind: 'sink', etlSpec: 'etl@^0.1.0'})
    expect(JSON.parse(fileOf(files, 'package.json')).devDependencies.etl).to.equal('etl@^0.1.0')
    expect(fileOf(files, EXAMPLE_PIPELINE)).to.include('  - "@me/etl-plugin-jsonl"\n')
    expect(parseYaml(fileOf(files, EXAMPLE_PIPELINE)).plugins).to.deep.equal(['@me/etl-plugin-jsonl'])
    expect(fileOf(files, 'src/index.ts')).to.include("name: 'jsonl'")
  })

  it('refuses a name npm would refuse, and etl itself', () => {
    for (const name of ['Upper', 'my plugin', '@me', 'etl']) {
      expect(() => pluginPackageFiles({name, kind: 'transform'}), name).to.throw(InvalidPackageNameError)
    }
    expect(() => pluginPackageFiles({name: 'Upper', kind: 'transform'})).to.throw(
      '"Upper" is not a valid npm package name: the name must be lower case',
    )
  })

  it('defaults the folder to ./<name without its scope>', () => {
    expect(defaultPluginDir('etl-plugin-upper')).to.equal(resolve('etl-plugin-upper'))
    expect(defaultPluginDir('@me/etl-plugin-upper')).to.equal(resolve('etl-plugin-upper'))
  })

  describe('createPluginPackage', () => {
    let dir: string
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'etl-plugin-new-'))
    })
    afterEach(() => rm(dir, {recursive: true, force: true}))

    it('writes the files; a second time it writes nothing and fails with ETL_FILE_EXISTS', () => {
      const target = join(dir, 'plugins', 'upper')
      const first = createPluginPackage({name: 'etl-plugin-upper', kind: 'transform', dir: target})
      expect(first.dir).to.equal(target)
      expect(first.files.map((file) => file.slice(target.length + 1)).sort()).to.deep.equal([...FILES].sort())
      writeFileSync(join(target, 'src', 'index.ts'), '// my own work')
      let error: unknown
      try {
        createPluginPackage({name: 'etl-plugin-upper', kind: 'sink', dir: target})
      } catch (caught) {
        error = caught
      }
      expect(isEtlError(error) && error.code).to.equal('ETL_FILE_EXISTS')
      expect(readFileSync(join(target, 'src', 'index.ts'), 'utf8')).to.equal('// my own work')
    })

    it('writes nothing at all when a single file is in the way', () => {
      writeFileSync(join(dir, 'README.md'), 'mine')
      expect(() => createPluginPackage({name: 'etl-plugin-upper', kind: 'source', dir})).to.throw(/README\.md/)
      expect(readdirSync(dir)).to.deep.equal(['README.md'])
      expect(existsSync(join(dir, 'src'))).to.equal(false)
    })
  })
})
