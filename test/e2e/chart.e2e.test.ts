/**
 * `etl chart` as a user runs it: the real binary renders a pipeline's CSV-fed charts once, keeps them current with
 * --watch as the CSV grows, serves them with --serve, and fails clearly on a pipeline it cannot chart.
 */
import {spawn} from 'node:child_process'
import {appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import sharp from 'sharp'
import {buildCli, ETL_BIN, runEtl, spawnEtl} from '../support/run-cli.js'

const DAILY = readFileSync(join(import.meta.dirname, '../../data/btcusd-1d-2011-2025.csv'), 'utf8')
  .trim()
  .split('\n')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function pipeline(dir: string, chart: string): string {
  const file = join(dir, 'charts.yaml')
  writeFileSync(
    file,
    ['name: charts', 'source: {type: replay}', 'sinks: [{type: csv, path: data/prices.csv}]', 'charts:', chart].join(
      '\n',
    ),
  )
  return file
}

const priceChart = [
  '  - name: history',
  '    data: {csv: daily.csv}',
  '    every: 200ms',
  '    spec: charts/price.vl.json',
  '    fields: {time: timestamp, value: close}',
  '    defaultSeries: BTC',
  '    output: {png: out/history.png, svg: out/history.svg}',
].join('\n')

describe('etl chart (CLI)', function () {
  this.timeout(60_000)
  let dir: string
  before(() => buildCli())
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-chart-e2e-'))
    writeFileSync(join(dir, 'daily.csv'), DAILY.slice(0, 1001).join('\n') + '\n')
  })

  it('renders once from the CSV, with the shipped spec, and exits 0', async () => {
    const result = await runEtl(['chart', pipeline(dir, priceChart)], {cwd: dir})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderr).to.match(/chart history: 1000 points drawn as \d+ in \d+ ms → .*history\.svg, .*history\.png/)
    const png = await sharp(join(dir, 'out/history.png')).metadata()
    expect([png.width, png.height]).to.deep.equal([1600, 800])
    expect(readFileSync(join(dir, 'out/history.svg'), 'utf8')).to.include('Price (USD)')
  })

  it('--watch re-renders when rows are appended, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [ETL_BIN, 'chart', pipeline(dir, priceChart), '--watch'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    const renders = () => (stderr.match(/chart history: /g) ?? []).length
    const waitFor = async (what: string, done: () => boolean) => {
      const deadline = Date.now() + 20_000
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${stderr}`)
        await sleep(50)
      }
    }
    try {
      await waitFor('the first render', () => renders() >= 1)
      const firstSvg = statSync(join(dir, 'out/history.svg')).mtimeMs
      await sleep(1500)
      expect(renders(), 'no new rows: no new render').to.equal(1)
      appendFileSync(join(dir, 'daily.csv'), DAILY.slice(1001, 1101).join('\n') + '\n')
      await waitFor('a render of the appended rows', () => /chart history: 1100 points/.test(stderr))
      expect(statSync(join(dir, 'out/history.svg')).mtimeMs).to.be.greaterThan(firstSvg)
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited, stderr).to.equal(0)
  })

  const serveTitle =
    '--serve --port 0 prints the page address and serves the charts with the latest price of each series'
  it(serveTitle, async () => {
    const child = spawn(process.execPath, [ETL_BIN, 'chart', pipeline(dir, priceChart), '--serve', '--port', '0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    try {
      const deadline = Date.now() + 20_000
      while (!/live charts at (\S+)/.test(stdout) || !/chart history: /.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`no address or render; stdout: ${stdout}; stderr: ${stderr}`)
        await sleep(50)
      }
      const url = /live charts at (\S+)/.exec(stdout)![1]
      const charts = (await (await fetch(new URL('api/charts', url))).json()) as {
        chart: string
        summary: {series: string; latest: number}[]
      }[]
      const lastClose = Number(DAILY[1000].split(',')[2])
      expect(charts.map((c) => c.chart)).to.deep.equal(['history'])
      expect(charts[0].summary).to.have.length(1)
      expect(charts[0].summary[0]).to.include({series: 'BTC', latest: lastClose})
      const svg = await (await fetch(new URL('charts/history.svg', url))).text()
      expect(svg).to.equal(readFileSync(join(dir, 'out/history.svg'), 'utf8'))
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited, stderr).to.equal(0)
  })

  /** A pipeline file of its own name with one chart of `data`. */
  function namedPipeline(name: string, chart: string, out: string): string {
    const file = join(dir, `${name}.yaml`)
    const lines = [`name: ${name}`, `description: the ${name} charts`, 'source: {type: replay}']
    lines.push(
      'sinks: [{type: csv, path: data/prices.csv}]',
      'charts:',
      `  - name: ${chart}`,
      '    data: {csv: daily.csv}',
    )
    lines.push(
      '    spec: charts/price.vl.json',
      '    fields: {time: timestamp, value: close}',
      '    defaultSeries: BTC',
    )
    lines.push(`    output: {svg: out/${out}.svg}`)
    writeFileSync(file, lines.join('\n') + '\n')
    return file
  }

  it("several files with --serve: one server, each pipeline's pages at /<name>/, an index of them at /", async () => {
    const files = [namedPipeline('daily', 'history', 'a'), namedPipeline('weekly', 'closes', 'b')]
    const etl = spawnEtl(['chart', ...files, '--serve', '--port', '0'], {cwd: dir})
    const {output} = etl
    try {
      const deadline = Date.now() + 20_000
      const rendered = () => (output.stderr.match(/chart (history|closes): /g) ?? []).length
      while (!/live charts at (\S+)/.test(output.stdout) || rendered() < 2) {
        if (Date.now() > deadline) throw new Error(`no address or renders; stdout: ${output.stdout}; ${output.stderr}`)
        await sleep(50)
      }
      const url = /live charts at (\S+)/.exec(output.stdout)![1]!
      expect(output.stdout).to.include(`live charts of daily at ${url}daily/`)
      const index = await (await fetch(url)).text()
      expect(index).to.include('<a href="/daily/">daily</a>').and.include('<a href="/weekly/">weekly</a>')
      expect(index).to.include('the weekly charts')
      const chartsOf = async (name: string) =>
        ((await (await fetch(new URL(`${name}/api/charts`, url))).json()) as {chart: string}[]).map((c) => c.chart)
      expect(await chartsOf('daily')).to.deep.equal(['history'])
      expect(await chartsOf('weekly')).to.deep.equal(['closes'])
      const svg = await (await fetch(new URL('weekly/charts/closes.svg', url))).text()
      expect(svg).to.equal(readFileSync(join(dir, 'out/b.svg'), 'utf8'))
      expect(await (await fetch(new URL('daily/', url))).text()).to.include('<h1 data-testid="page-title">daily</h1>')
    } finally {
      etl.child.kill('SIGINT')
    }
    expect((await etl.exited).code, output.stderr).to.equal(0)
  })

  it('several files of one pipeline name with --serve: exit 2, naming it', async () => {
    const first = namedPipeline('same', 'history', 'a')
    const second = join(dir, 'other.yaml')
    writeFileSync(second, readFileSync(first, 'utf8'))
    const result = await runEtl(['chart', first, second, '--serve', '--port', '0'], {cwd: dir})
    expect(result.code, result.stderr).to.equal(2)
    expect(result.stderr).to.include('two of the pipelines are named "same"')
    expect(result.stderr).not.to.match(/\n\s+at /)
  })

  it('a pipeline whose charts are all fed by the stream: exit 2 with a clear message', async () => {
    const chart = ['  - name: live', '    data: stream', '    output: {png: out/live.png}'].join('\n')
    const result = await runEtl(['chart', pipeline(dir, chart)], {cwd: dir})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/charts\.yaml has no chart with data: \{csv: …\} to render/)
    expect(result.stderr).to.match(/chart live is fed by the live stream: it is rendered by `etl run`/)
    expect(result.stderr).to.not.match(/^\s+at /m)
  })

  it("an invalid spec is reported with the spec file's line:col before anything renders: exit 2", async () => {
    writeFileSync(join(dir, 'bad.vl.json'), '{\n  "data": {"name": "rows"},\n  "mark": "lien",\n  "encoding": {}\n}\n')
    const result = await runEtl(['chart', pipeline(dir, priceChart.replace('charts/price.vl.json', 'bad.vl.json'))], {
      cwd: dir,
    })
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/charts\.yaml:\d+:\d+ +charts\[0\]\.spec +bad\.vl\.json:3:\d+ /)
  })
})
