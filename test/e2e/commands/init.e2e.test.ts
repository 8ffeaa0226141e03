/**
 * `etl init` as a user runs it (the built CLI in its own process): the starter project's files, its pipeline valid
 * for `etl validate` and runnable through the real broker (weekly candles of the bundled history, checked against
 * candles computed here from the CSV), and a second init in the same folder refused without touching a file.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {testBrokers, uniqueName} from '../../support/kafka-test-utils.js'
import {buildCli, REPO, runEtl, type CliResult} from '../../support/run-cli.js'

const STACK_LINE = /^\s+at /m
const FILES = ['.gitignore', 'README.md', 'package.json', 'pipelines/main.test.yaml', 'pipelines/main.yaml']
const WEEK_MS = 7 * 86_400_000

function cleanEnv(cwd: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
  delete env.ETL_DEBUG
  delete env.ETL_LOG_LEVEL
  delete env.ETL_LOG_FORMAT
  return env
}

function describeRun(what: string, result: CliResult): string {
  return `${what} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(FILES.map((file) => [file, readFileSync(join(dir, file), 'utf8')]))
}

interface Candle {
  start: number
  open: number
  high: number
  low: number
  close: number
  volume: number
  count: number
}

/** Weekly candles of the bundled daily history, epoch-aligned, without the last week (still open at the end). */
function expectedWeeks(): Candle[] {
  const text = readFileSync(join(REPO, 'data', 'btcusd-1d-2011-2025.csv'), 'utf8')
  const rows = parse(text, {columns: true}) as Record<string, string>[]
  const weeks = new Map<number, Candle>()
  for (const row of rows) {
    const start = Math.floor((Number(row.unix_timestamp) * 1000) / WEEK_MS) * WEEK_MS
    const [open, high, low, close, volume] = [row.open, row.high, row.low, row.close, row.volume].map(Number)
    const week = weeks.get(start)
    if (!week) {
      weeks.set(start, {start, open, high, low, close, volume, count: 1})
      continue
    }
    Object.assign(week, {high: Math.max(week.high, high), low: Math.min(week.low, low), close, count: week.count + 1})
    week.volume += volume
  }
  return [...weeks.values()].sort((a, b) => a.start - b.start).slice(0, -1)
}

describe('etl init (CLI)', function () {
  this.timeout(180_000)
  let cwd: string

  before(() => buildCli())
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-init-'))
  })
  afterEach(() => rm(cwd, {recursive: true, force: true}))

  it('writes the starter project; its pipeline validates and runs: weekly candles of the bundled history', async () => {
    const name = uniqueName('starter')
    const made = await runEtl(['init', name], {cwd, env: cleanEnv(cwd)})
    expect(made.code, describeRun('etl init', made)).to.equal(0)
    expect(made.stdout).to.include(`Wrote a starter etl project in ${name}:`)
    for (const file of FILES) expect(made.stdout).to.include(`  ${file}\n`)
    expect(made.stdout).to.include(`cd ${name}`).and.include('npm install').and.include('npm start')
    const dir = join(cwd, name)
    expect(readdirSync(dir).sort()).to.deep.equal(['.gitignore', 'README.md', 'package.json', 'pipelines'])
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    expect(manifest).to.include({name, private: true, type: 'module'})
    expect(manifest.dependencies).to.deep.equal({etl: `file:${REPO}`})
    expect(manifest.scripts.start).to.equal('etl run pipelines/main.yaml')

    const env = cleanEnv(dir)
    const validated = await runEtl(['validate', 'pipelines/main.yaml'], {cwd: dir, env})
    expect(validated.code, describeRun('etl validate', validated)).to.equal(0)
    expect(validated.stdout).to.include(`pipelines/main.yaml: valid (${name}: source replay, 1 transform(s), 1 sink(s)`)

    const brokers = ['--brokers', testBrokers().join(','), '--no-local-broker']
    const run = await runEtl(['run', 'pipelines/main.yaml', ...brokers], {cwd: dir, env})
    expect(run.code, describeRun('etl run pipelines/main.yaml', run)).to.equal(0)
    expect(run.stderr).to.not.match(STACK_LINE)
    const [header, ...rows] = parse(readFileSync(join(dir, 'data', 'weekly.csv'), 'utf8')) as string[][]
    const columns = ['open', 'high', 'low', 'close', 'volume', 'count']
    expect(header).to.deep.equal(['window_start', 'window_end', 'symbol', 'vs_currency', ...columns])
    const weeks = expectedWeeks()
    expect(rows).to.have.length(weeks.length)
    expect(rows[0].slice(0, 4)).to.deep.equal(['2011-08-18T00:00:00.000Z', '2011-08-25T00:00:00.000Z', 'BTC', 'usd'])
    for (const [i, week] of weeks.entries()) {
      const [start, end, , , open, high, low, close, volume, count] = rows[i]
      const where = `week ${i + 1} (${start})`
      const bounds = [new Date(week.start).toISOString(), new Date(week.start + WEEK_MS).toISOString()]
      expect([start, end], where).to.deep.equal(bounds)
      const prices = [week.open, week.high, week.low, week.close, week.count]
      expect([open, high, low, close, count].map(Number), where).to.deep.equal(prices)
      expect(Number(volume), where).to.be.closeTo(week.volume, Math.abs(week.volume) * 1e-9)
      expect(new Date(start).getUTCDay(), `${where} starts on a Thursday`).to.equal(4)
    }
  })

  it('refuses to overwrite: a second init exits 1 with ETL_FILE_EXISTS, lists the files and changes none', async () => {
    const first = await runEtl(['init'], {cwd, env: cleanEnv(cwd)})
    expect(first.code, describeRun('first etl init', first)).to.equal(0)
    expect(first.stdout).to.include('Wrote a starter etl project in .:').and.not.include('cd ')
    writeFileSync(join(cwd, 'README.md'), '# my notes\n')
    const before = snapshot(cwd)
    const second = await runEtl(['init', '.', '--etl', 'etl@^9'], {cwd, env: cleanEnv(cwd)})
    expect(second.code, describeRun('second etl init', second)).to.equal(1)
    expect(second.stdout).to.equal('')
    expect(second.stderr).to.match(/^ETL_FILE_EXISTS: nothing was written: these files already exist:\n/)
    for (const file of FILES) expect(second.stderr).to.include(`  ${file}\n`)
    expect(second.stderr).to.not.match(STACK_LINE)
    expect(snapshot(cwd)).to.deep.equal(before)
  })

  it('writes nothing when only one of its files is in the way', async () => {
    writeFileSync(join(cwd, 'package.json'), '{"name": "mine"}\n')
    const result = await runEtl(['init'], {cwd, env: cleanEnv(cwd)})
    expect(result.code, describeRun('etl init', result)).to.equal(1)
    expect(result.stderr).to.include('ETL_FILE_EXISTS').and.include('  package.json\n').and.not.include('README.md')
    expect(readdirSync(cwd)).to.deep.equal(['package.json'])
    expect(readFileSync(join(cwd, 'package.json'), 'utf8')).to.equal('{"name": "mine"}\n')
  })

  it('--etl sets the dependency spec', async () => {
    const result = await runEtl(['init', 'p', '--etl', 'etl@^0.1.0'], {cwd, env: cleanEnv(cwd)})
    expect(result.code, describeRun('etl init --etl', result)).to.equal(0)
    const manifest = JSON.parse(readFileSync(join(cwd, 'p', 'package.json'), 'utf8'))
    expect(manifest.dependencies).to.deep.equal({etl: 'etl@^0.1.0'})
  })
})
