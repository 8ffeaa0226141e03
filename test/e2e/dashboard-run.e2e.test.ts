/**
 * The live dashboard under `etl run --serve` (the built CLI, the real test broker, headless Chromium): the process
 * stage serves the page, then a paced replay (the source stage) sends records through the Kafka topic to an alert
 * transform, the chart and the alerts panel fed by the stream of records leaving
 * the transforms (`data: stream`, `dashboard: {alerts: stream}`). Every replayed record reaches the page's chart once,
 * with its price, and the alert the transform raised shows in the alerts panel, as text.
 */
import {expect} from 'chai'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Browser, Page} from 'playwright-core'
import {CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium} from '../support/chromium.js'
import {freePorts, testBrokers} from '../support/global-broker.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {buildCli, REPO, runEtl, spawnEtl, type RunningEtl} from '../support/run-cli.js'

declare const window: {etlDashboard: {charts: Map<string, {allRows(): {t: number; value: number}[]}>}}

const HISTORY = readFileSync(join(REPO, 'data/btcusd-1d-2011-2025.csv'), 'utf8').trim().split('\n')
const ROWS = HISTORY.slice(-40)
const timeOf = (line: string) => Number(line.split(',')[4]) * 1000
const closeOf = (line: string) => Number(line.split(',')[2])
/** Above the first close and below the highest: the alert fires once the price first rises past it. */
const THRESHOLD = Math.round((closeOf(ROWS[0]!) + Math.max(...ROWS.map(closeOf))) / 2)

function pipeline(dir: string): string {
  const text = `name: live-dash
kafka:
  topic: ${uniqueName('etl-e2e-dash-run')}
  groupId: ${uniqueName('etl-e2e-dash-run-group')}
source:
  type: replay
  path: ${join(dir, 'prices.csv')}
  speed: 864000   # one day of the history per 100 ms
transforms:
  - type: alert
    rules: [{name: above-threshold, field: price_usd, above: ${THRESHOLD}}]
sinks:
  - type: csv
    path: ${join(dir, 'prices-out.csv')}
    where: record_type != 'alert'
dashboard:
  alerts: stream
charts:
  - name: live-price
    data: stream   # alert records have no timestamp or price_usd: the chart skips them
    spec: charts/price.vl.json
    fields: {time: timestamp, value: price_usd}
    output: {svg: ${join(dir, 'live-price.svg')}}
`
  const file = join(dir, 'live-dash.yaml')
  writeFileSync(file, text)
  return file
}

describe('live dashboard under etl run --serve (real Kafka, Chromium)', function () {
  let browser: Browser
  let page: Page
  let dir: string
  let etl: RunningEtl | undefined
  const problems: string[] = []

  before(async function () {
    this.timeout(CHROMIUM_INSTALL_TIMEOUT_MS + 120_000)
    buildCli()
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    if (etl && etl.child.exitCode === null) etl.child.kill('SIGKILL')
    await etl?.exited
    rmSync(dir, {recursive: true, force: true})
  })

  it('streams every record through Kafka to the chart once, and the alert to the alerts panel', async function () {
    this.timeout(120_000)
    dir = mkdtempSync(join(tmpdir(), 'etl-dashboard-run-'))
    writeFileSync(join(dir, 'prices.csv'), [HISTORY[0], ...ROWS].join('\n') + '\n')
    const [port] = await freePorts(1)
    const file = pipeline(dir)
    const brokers = ['--brokers', testBrokers().join(',')]
    // The process stage serves the page and runs until stopped; the page connects before any record exists.
    etl = spawnEtl(['run', file, '--stage', 'process', '--serve', '--port', String(port), ...brokers], {cwd: dir})
    const running = etl
    const deadline = Date.now() + 60_000
    while (!/live charts at /.test(running.output.stderr) || !/assigned partition/.test(running.output.stderr)) {
      if (running.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no page address or assignment; stderr:\n${running.output.stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const context = await browser.newContext({locale: 'en-US', timezoneId: 'UTC'})
    page = await context.newPage()
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    await page.goto(`http://127.0.0.1:${port}/`)
    await page.waitForSelector('[data-testid="connection"][data-state="live"]')
    const source = await runEtl(['run', file, '--stage', 'source', ...brokers], {cwd: dir})
    expect(source.code, source.stderr).to.equal(0)
    const held = await page.waitForFunction(
      (count) => {
        const rows = window.etlDashboard.charts.get('live-price')?.allRows() ?? []
        return rows.length >= count ? rows.map((row) => [row.t, row.value]) : false
      },
      ROWS.length,
      {timeout: 60_000},
    )
    await new Promise((resolve) => setTimeout(resolve, 1000)) // a duplicate would arrive by now
    const rows = (await held.jsonValue()) as [number, number][]
    const now = await page.evaluate(() => window.etlDashboard.charts.get('live-price')!.allRows().length)
    expect(now, 'rows held after another second').to.equal(ROWS.length)
    expect(rows).to.deep.equal(ROWS.map((line) => [timeOf(line), closeOf(line)]))

    const alert = page.getByTestId('alert').first()
    await alert.waitFor({timeout: 20_000})
    expect(await page.getByTestId('alert').count()).to.equal(1)
    expect(await alert.textContent()).to.include('above-threshold')
    expect(problems).to.deep.equal([])
    await context.close()

    running.child.kill('SIGINT')
    const exit = await running.exited
    expect(exit.code, running.output.stderr).to.equal(0)
  })
})
