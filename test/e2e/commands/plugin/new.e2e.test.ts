/**
 * `etl plugin new` as a user runs it (the built CLI in its own process). For every kind, the package it writes is
 * real: it type-checks, its own tests pass, and its example pipeline validates and runs through the real broker with
 * the plugin loaded by package name, its effect visible in the output. etl, TypeScript, mocha, tsx and chai come from
 * this repository (linked into the package's node_modules), so no install is needed; the packed-install test does the
 * same with `npm install` from the published tarball.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {parse as parseYaml, stringify as stringifyYaml} from 'yaml'
import {testBrokers, uniqueName} from '../../../support/kafka-test-utils.js'
import {buildCli, REPO, runEtl, type CliResult} from '../../../support/run-cli.js'

const STACK_LINE = /^\s+at /m
const FILES = [
  '.gitignore',
  '.mocharc.json',
  'README.md',
  'examples/pipeline.yaml',
  'package.json',
  'src/index.ts',
  'test/index.test.ts',
  'test/tsconfig.json',
  'tsconfig.json',
]

function cleanEnv(cwd: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
  delete env.ETL_DEBUG
  delete env.ETL_LOG_LEVEL
  delete env.ETL_LOG_FORMAT
  return env
}

interface Output {
  status?: number | null
  code?: number | null
  stdout: string
  stderr: string
}

function describeRun(what: string, result: Output): string {
  return `${what} exited ${result.status ?? result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}

/** Runs a Node script of a tool (tsc, mocha) in `cwd`; fails the test with its output when it fails. */
function runTool(script: string, args: string[], cwd: string): string {
  const result = spawnSync(process.execPath, [script, ...args], {cwd, encoding: 'utf8', env: cleanEnv(cwd)})
  expect(result.status, describeRun(`${script} ${args.join(' ')} in ${cwd}`, result)).to.equal(0)
  return result.stdout
}

/** The package's node_modules as `npm install` would make it, with this repository's etl and tools. */
function linkDependencies(dir: string): void {
  mkdirSync(join(dir, 'node_modules', '@types'), {recursive: true})
  symlinkSync(REPO, join(dir, 'node_modules', 'etl'))
  for (const name of ['typescript', 'tsx', 'mocha', 'chai', '@types/mocha', '@types/chai', '@types/node']) {
    symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name))
  }
}

/** The package's example pipeline with a topic and name of its own, beside it (so the package still resolves). */
function isolatedExample(dir: string): {file: string; pipeline: Record<string, unknown>} {
  const pipeline = parseYaml(readFileSync(join(dir, 'examples', 'pipeline.yaml'), 'utf8')) as Record<string, unknown>
  pipeline.name = uniqueName('etl-e2e-plugin-new')
  pipeline.kafka = {...(pipeline.kafka as Record<string, unknown>), topic: uniqueName('etl-e2e-plugin-new')}
  const file = join(dir, 'examples', 'e2e.yaml')
  writeFileSync(file, stringifyYaml(pipeline))
  return {file, pipeline}
}

function replayedRows(limit: number): Record<string, string>[] {
  return csvRows(join(REPO, 'data', 'btcusd-1d-2011-2025.csv')).slice(0, limit)
}

function csvRows(path: string): Record<string, string>[] {
  return parse(readFileSync(path, 'utf8'), {columns: true}) as Record<string, string>[]
}

/** What each kind's example pipeline must have produced, checked from its output files. */
const EFFECTS: Record<string, (dir: string, run: CliResult) => void> = {
  transform(dir) {
    const rows = csvRows(join(dir, 'data', 'mytransform-example.csv'))
    expect(rows).to.have.length(100)
    for (const row of rows) expect(row.coin_id).to.equal('BITCOIN')
    expect(rows.map((row) => row.price_usd)).to.deep.equal(replayedRows(100).map((row) => String(Number(row.close))))
  },
  sink(dir) {
    const text = readFileSync(join(dir, 'data', 'mysink-example.jsonl'), 'utf8')
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).to.have.length(100)
    const history = replayedRows(100)
    expect(lines.map((record) => record.price_usd)).to.deep.equal(history.map((row) => Number(row.close)))
    expect(lines[0]).to.include({symbol: 'BTC', timestamp: '2011-08-18T00:00:00.000Z', source: 'replay'})
  },
  source(_dir, run) {
    const records = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(records.map((record) => record.counter).sort((a, b) => a - b)).to.deep.equal([...Array(20).keys()])
  },
  chart(dir) {
    const svg = readFileSync(join(dir, 'charts', 'mychart-example.svg'), 'utf8')
    const lines = [...svg.matchAll(/<polyline data-series="([^"]+)"[^>]* points="([^"]*)"/g)]
    expect(lines.map((line) => line[1])).to.deep.equal(['BTC'])
    expect(lines[0][2].split(' ')).to.have.length(100)
  },
}

describe('etl plugin new (CLI)', function () {
  this.timeout(180_000)
  let cwd: string

  before(() => buildCli())
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-plugin-new-'))
  })
  afterEach(() => rm(cwd, {recursive: true, force: true}))

  for (const kind of ['transform', 'sink', 'source', 'chart']) {
    it(`--kind ${kind}: the package type-checks, passes its tests, and its example runs through Kafka`, async () => {
      const name = `etl-plugin-my${kind}`
      const made = await runEtl(['plugin', 'new', name, '--kind', kind], {cwd, env: cleanEnv(cwd)})
      expect(made.code, describeRun('etl plugin new', made)).to.equal(0)
      expect(made.stdout).to.include(`Wrote the ${kind} plugin package ${name} (${kind} type "my${kind}") in ${name}:`)
      expect(made.stdout).to.include(`cd ${name}`).and.include('npm install').and.include('npm test')
      const dir = join(cwd, name)
      for (const file of FILES) expect(existsSync(join(dir, file)), file).to.equal(true)
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      expect(manifest.devDependencies.etl).to.equal(`file:${REPO}`)

      linkDependencies(dir)
      const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
      runTool(tsc, ['-p', 'tsconfig.json'], dir)
      runTool(tsc, ['-p', 'test/tsconfig.json'], dir)
      expect(readdirSync(join(dir, 'dist')).sort()).to.include.members(['index.d.ts', 'index.js'])
      const mocha = runTool(join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js'), [], dir)
      expect(mocha).to.match(/^\s+[3-9] passing/m)
      expect(mocha).to.not.match(/failing|pending/)

      const env = cleanEnv(dir)
      const validated = await runEtl(['validate', 'examples/pipeline.yaml'], {cwd: dir, env})
      expect(validated.code, describeRun('etl validate examples/pipeline.yaml', validated)).to.equal(0)
      const {file} = isolatedExample(dir)
      const brokers = testBrokers().join(',')
      const run = await runEtl(['run', file, '--brokers', brokers, '--no-local-broker'], {cwd: dir, env})
      expect(run.code, describeRun('etl run (example pipeline)', run)).to.equal(0)
      expect(run.stderr).to.not.match(STACK_LINE)
      EFFECTS[kind](dir, run)
    })
  }

  it('a scoped name, --dir, and the plugin listed by `etl plugins --pipeline`', async () => {
    const args = ['plugin', 'new', '@me/etl-plugin-upper', '--kind', 'transform', '--dir', 'plugins/upper']
    const made = await runEtl(args, {cwd, env: cleanEnv(cwd)})
    expect(made.code, describeRun('etl plugin new', made)).to.equal(0)
    expect(made.stdout).to.include('in plugins/upper:').and.include('npm install ./plugins/upper')
    const dir = join(cwd, 'plugins', 'upper')
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).to.equal('@me/etl-plugin-upper')
    linkDependencies(dir)
    runTool(join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), ['-p', 'tsconfig.json'], dir)
    const listArgs = ['plugins', '--pipeline', 'examples/pipeline.yaml', '--json']
    const listed = await runEtl(listArgs, {cwd: dir, env: cleanEnv(dir)})
    expect(listed.code, describeRun('etl plugins --pipeline', listed)).to.equal(0)
    const plugins = JSON.parse(listed.stdout) as {name: string; kind: string; origin: string}[]
    const upper = plugins.find((plugin) => plugin.name === 'upper')
    expect(upper).to.deep.include({kind: 'transform', origin: 'plugin module "@me/etl-plugin-upper"'})
  })

  it('refuses to overwrite: a second run exits 1 with ETL_FILE_EXISTS and leaves every file as it was', async () => {
    const args = ['plugin', 'new', 'etl-plugin-upper', '--kind', 'transform']
    const first = await runEtl(args, {cwd, env: cleanEnv(cwd)})
    expect(first.code, describeRun('first etl plugin new', first)).to.equal(0)
    const dir = join(cwd, 'etl-plugin-upper')
    writeFileSync(join(dir, 'src', 'index.ts'), '// my own work\n')
    const before = Object.fromEntries(FILES.map((file) => [file, readFileSync(join(dir, file), 'utf8')]))
    const second = await runEtl([...args.slice(0, 3), '--kind', 'sink'], {cwd, env: cleanEnv(cwd)})
    expect(second.code, describeRun('second etl plugin new', second)).to.equal(1)
    expect(second.stdout).to.equal('')
    expect(second.stderr).to.match(/^ETL_FILE_EXISTS: nothing was written/)
    for (const file of FILES) expect(second.stderr).to.include(`  etl-plugin-upper/${file}\n`)
    expect(second.stderr).to.not.match(STACK_LINE)
    for (const file of FILES) expect(readFileSync(join(dir, file), 'utf8'), file).to.equal(before[file])
  })

  it('refuses an invalid package name (exit 2) or kind, and writes nothing', async () => {
    for (const args of [['Upper_Case', '--kind', 'sink'], ['ok-name', '--kind', 'pump'], ['ok-name']]) {
      const result = await runEtl(['plugin', 'new', ...args], {cwd, env: cleanEnv(cwd)})
      expect(result.code, describeRun(`etl plugin new ${args.join(' ')}`, result)).to.equal(2)
      expect(result.stderr).to.not.match(STACK_LINE)
    }
    const invalid = await runEtl(['plugin', 'new', 'Upper_Case', '--kind', 'sink'], {cwd, env: cleanEnv(cwd)})
    expect(invalid.stderr).to.include('"Upper_Case" is not a valid npm package name: the name must be lower case')
    expect(readdirSync(cwd)).to.deep.equal([])
  })
})
