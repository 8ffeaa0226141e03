import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {expect} from 'chai'
import {isManifestCurrent, writeManifest} from '../../../src/cli/command-manifest.js'
import {buildCli, REPO, runEtl, type CliResult} from '../../support/run-cli.js'

const REPORTER = pathToFileURL(join(import.meta.dirname, 'fixtures', 'report-startup.mjs')).href
const CHART_PACKAGES = ['vega', 'vega-lite', 'opentype.js', 'sharp']

interface StartupReport {
  packages: string[]
  execArgv: string[]
}

function reportOf(result: CliResult): StartupReport {
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('STARTUP_REPORT '))
  expect(lines, result.stderr).to.have.length(1)
  return JSON.parse(lines[0].slice('STARTUP_REPORT '.length)) as StartupReport
}

const PIPELINE = `
name: startup-probe
kafka: {topic: startup_probe}
source: {type: replay, path: data/btcusd-5m-2011.csv, speed: 0, limit: 1}
transforms:
  - {type: ohlc, size: 1m, price: price_usd}
sinks:
  - {type: csv, path: out.csv}
`

describe('CLI start-up: what each command loads and how `etl run` starts', function () {
  this.timeout(120_000)
  let dir: string
  const env = (nodeOptions = '') => ({...process.env, NODE_OPTIONS: `--import=${REPORTER} ${nodeOptions}`.trim()})

  before(async () => {
    buildCli()
    // What `npm run build` adds to tsc's output; an old manifest (a command changed since) would be ignored.
    if (!isManifestCurrent(REPO)) await writeManifest(REPO)
    dir = await mkdtemp(join(tmpdir(), 'etl-startup-'))
    await writeFile(join(dir, 'no-charts.yaml'), PIPELINE)
    await writeFile(
      join(dir, 'with-chart.yaml'),
      `${PIPELINE}charts:\n  - {name: price, data: stream, output: {svg: price.svg}}\n`,
    )
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('validates a pipeline without charts without loading vega, vega-lite, opentype.js or sharp', async () => {
    const result = await runEtl(['validate', join(dir, 'no-charts.yaml')], {env: env()})
    expect(result.code, result.stderr).to.equal(0)
    const {packages} = reportOf(result)
    expect(packages).to.include('yaml') // the probe does see packages: the pipeline file is parsed
    // oclif's manifest (npm run build) lets it import only the command that runs, not `etl run` and its Kafka clients.
    for (const name of ['kafkajs', '@platformatic/kafka']) expect(packages, name).to.not.include(name)
    for (const name of CHART_PACKAGES) expect(packages, name).to.not.include(name)
  })

  it('still checks a chart spec at validation, without loading vega into the CLI process', async () => {
    await writeFile(
      join(dir, 'bad.vl.json'),
      '{"data": {"name": "rows"}, "transform": [{"calculate": "datum.close >=", "as": "up"}], "mark": "point"}',
    )
    const good = await runEtl(['validate', join(dir, 'with-chart.yaml')], {env: env()})
    expect(good.code, good.stderr).to.equal(0)
    expect(reportOf(good).packages).to.not.include('vega')
    const badChart = `{name: price, data: stream, spec: ${join(dir, 'bad.vl.json')}, output: {svg: price.svg}}`
    await writeFile(join(dir, 'bad-chart.yaml'), `${PIPELINE}charts:\n  - ${badChart}\n`)
    const bad = await runEtl(['validate', join(dir, 'bad-chart.yaml')], {env: env()})
    expect(bad.code).to.equal(2)
    expect(bad.stdout + bad.stderr).to.match(/bad\.vl\.json: Vega-Lite cannot compile it: .*Unexpected/)
  })

  it('lists every plugin, the chart plugin included, without loading vega', async () => {
    const result = await runEtl(['plugins'], {env: env()})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.include('vega-lite')
    for (const name of CHART_PACKAGES) expect(reportOf(result).packages, name).to.not.include(name)
  })

  it('keeps compiled code in a compile cache, for the CLI and for the chart-check worker', async () => {
    // Node's default cache folder is in os.tmpdir(), i.e. $TMPDIR. NODE_COMPILE_CACHE would also reach the worker
    // thread by inheritance, so it is left unset: the worker must turn the cache on itself.
    const envWith = (tmp: string, extra: Record<string, string> = {}) => {
      const {NODE_COMPILE_CACHE: _, ...rest} = process.env
      return {...rest, TMPDIR: tmp, ETL_CACHE_DIR: join(tmp, 'etl'), ...extra}
    }
    // Modules compiled into a fresh cache; an empty spec cache makes the chart spec be checked, in the worker.
    const compiledBy = async (pipeline: string, name: string, extra?: Record<string, string>) => {
      const tmp = join(dir, name)
      await mkdir(tmp)
      const result = await runEtl(['validate', join(dir, pipeline)], {env: envWith(tmp, extra)})
      expect(result.code, result.stderr).to.equal(0)
      const entries = await readdir(tmp, {recursive: true})
      return entries.filter((entry) => entry.startsWith('node-compile-cache/')).length
    }
    const cli = await compiledBy('no-charts.yaml', 'tmp-cli')
    const withWorker = await compiledBy('with-chart.yaml', 'tmp-worker')
    expect(cli).to.be.greaterThan(50)
    // vega and vega-lite are some hundred modules, compiled only in the worker.
    expect(withWorker).to.be.greaterThan(cli + 100)
    expect(await compiledBy('with-chart.yaml', 'tmp-off', {NODE_DISABLE_COMPILE_CACHE: '1'})).to.equal(0)
  })

  // Support for process.execve (Node >= 22.15 on Unix) is what the flag depends on; this suite runs on Node 24.
  it('runs `etl run` with a capped young generation, unless the user chose a size', async () => {
    // An unknown stage fails after start-up and before anything connects: enough to see how the process started.
    const capped = await runEtl(['run', join(dir, 'no-charts.yaml'), '--stage', 'nonsense'], {env: env()})
    expect(capped.code).to.not.equal(0)
    expect(reportOf(capped).execArgv).to.include('--max-semi-space-size=8')
    const chosen = await runEtl(['run', join(dir, 'no-charts.yaml'), '--stage', 'nonsense'], {
      env: env('--max-semi-space-size=0'),
    })
    expect(reportOf(chosen).execArgv).to.not.include('--max-semi-space-size=8')
    const validate = await runEtl(['validate', join(dir, 'no-charts.yaml')], {env: env()})
    expect(reportOf(validate).execArgv).to.not.include('--max-semi-space-size=8')
  })
})
