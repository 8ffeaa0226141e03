/**
 * The starter project of `etl init`: its files, and its pipeline tests checked here against the real transforms (the
 * expectations in main.test.yaml were computed by hand; if they were wrong, `npm test` in a new project would fail).
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parse as parseYaml} from 'yaml'
import {loadPipeline, validatePipeline, type PipelineConfig} from '../../../src/index.js'
import {isEtlError} from '../../../src/runtime/errors.js'
import type {EtlRecord, PluginDefinition} from '../../../src/runtime/plugin-types.js'
import {
  createStarterProject,
  projectNameOf,
  starterProjectFiles,
} from '../../../src/runtime/scaffold/starter-project.js'
import {TransformHarness} from '../../../src/testing/index.js'

const REPO = resolve(import.meta.dirname, '../../..')

interface PipelineTest {
  name: string
  input: EtlRecord[]
  expect: {step: string; records: EtlRecord[]}
}

/** What the named step emits when each input record is its own batch through the transforms before it and itself. */
async function stepOutput(pipeline: PipelineConfig, step: string, input: EtlRecord[]): Promise<EtlRecord[]> {
  const index = pipeline.transforms.findIndex((stage) => stage.label === step || stage.type === step)
  expect(index, `step ${step}`).to.be.at.least(0)
  const chain = await Promise.all(
    pipeline.transforms
      .slice(0, index + 1)
      .map((stage) => TransformHarness.create(stage.definition as PluginDefinition<'transform'>, stage.config)),
  )
  const out: EtlRecord[] = []
  for (const record of input) {
    let batch = [record]
    for (const harness of chain) batch = await harness.process(batch)
    out.push(...batch)
  }
  return out
}

function pick(record: EtlRecord, fields: string[]): EtlRecord {
  return Object.fromEntries(fields.map((field) => [field, record[field]]))
}

describe('starter project scaffold', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-init-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('names the project after its folder, as a valid package and pipeline name', () => {
    expect(projectNameOf('/x/my-project')).to.equal('my-project')
    expect(projectNameOf('/x/My Project (2)')).to.equal('my-project-2')
    expect(projectNameOf('/x/.hidden')).to.equal('hidden')
    expect(projectNameOf('/x/etl')).to.equal('etl-project')
    expect(projectNameOf('/x/???')).to.equal('etl-project')
  })

  it('has package.json with scripts and etl, the pipeline, its tests, README and .gitignore', () => {
    const files = starterProjectFiles({dir: join(dir, 'starter')})
    expect(files.map((file) => file.path)).to.have.members([
      '.gitignore',
      'package.json',
      'pipelines/main.test.yaml',
      'pipelines/main.yaml',
      'README.md',
    ])
    const manifest = JSON.parse(files.find((file) => file.path === 'package.json')!.content)
    expect(manifest).to.include({name: 'starter', private: true, type: 'module'})
    expect(manifest.scripts).to.deep.equal({
      start: 'etl run pipelines/main.yaml',
      test: 'etl test',
      validate: 'etl validate pipelines/main.yaml',
    })
    expect(manifest.dependencies).to.deep.equal({etl: `file:${REPO}`})
    const ignored = files.find((file) => file.path === '.gitignore')!.content.split('\n')
    expect(ignored).to.include.members(['node_modules/', '.etl/', 'data/*.csv'])
    for (const {path, content} of files) {
      expect(content, path).to.not.match(/\{\{\s*[A-Za-z][A-Za-z0-9_]*\s*\}\}/)
      for (const [i, line] of content.split('\n').entries()) expect(line.length, `${path}:${i + 1}`).to.be.at.most(120)
    }
  })

  it('writes a pipeline that validates: bundled replay → ohlc "weekly" of 7d → csv data/weekly.csv', async () => {
    createStarterProject({dir, etlSpec: 'etl@^0.1.0'})
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.etl).to.equal('etl@^0.1.0')
    const result = await validatePipeline(join(dir, 'pipelines', 'main.yaml'))
    if (!result.valid) throw new Error(`invalid: ${result.error.message}`)
    const {pipeline} = result
    expect(pipeline.sources[0]?.type).to.equal('replay')
    expect(pipeline.sources[0]?.config.path).to.equal('data/btcusd-1d-2011-2025.csv')
    const transforms = pipeline.transforms.map(({type, label, config}) => [type, label, config.size, config.input])
    expect(transforms).to.deep.equal([['ohlc', 'weekly', '7d', 'candles']])
    expect(pipeline.sinks.map((stage) => [stage.type, stage.config.path])).to.deep.equal([['csv', 'data/weekly.csv']])
    expect(pipeline.kafka.topic).to.equal(`${pipeline.name}.prices`)
  })

  it("its pipeline tests expect exactly what the pipeline's transforms emit", async () => {
    createStarterProject({dir})
    const suite = parseYaml(readFileSync(join(dir, 'pipelines', 'main.test.yaml'), 'utf8')) as {
      pipeline: string
      tests: PipelineTest[]
    }
    expect(suite.pipeline).to.equal('main.yaml')
    expect(suite.tests).to.have.length(2)
    const pipeline = await loadPipeline(join(dir, 'pipelines', suite.pipeline))
    for (const test of suite.tests) {
      const out = await stepOutput(pipeline, test.expect.step, test.input)
      expect(out, test.name).to.have.length(test.expect.records.length)
      for (const [i, want] of test.expect.records.entries()) {
        expect(pick(out[i], Object.keys(want)), `${test.name}: record ${i + 1}`).to.deep.equal(want)
      }
    }
  })

  it('refuses to overwrite: a second init in the same folder writes nothing (ETL_FILE_EXISTS)', () => {
    createStarterProject({dir})
    const before = readFileSync(join(dir, 'pipelines', 'main.yaml'), 'utf8')
    let error: unknown
    try {
      createStarterProject({dir, etlSpec: 'etl@9'})
    } catch (caught) {
      error = caught
    }
    expect(isEtlError(error) && error.code).to.equal('ETL_FILE_EXISTS')
    expect(readFileSync(join(dir, 'pipelines', 'main.yaml'), 'utf8')).to.equal(before)
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.etl).to.equal(`file:${REPO}`)
  })
})
