/**
 * The live dashboard in a real headless Chromium against a real `etl chart --serve` on real files: charts drawn by
 * Vega from the shipped daily BTC/USD history, rows appended to the CSV arriving without navigation, hover values,
 * range presets and zoom, the alerts panel, and a restart of the server resuming with no duplicated or missing point.
 * The first test also saves the screenshot the README shows (docs/images/dashboard.png).
 */
import {expect} from 'chai'
import {appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium} from '../support/chromium.js'
import {buildCli, REPO, spawnEtl, type RunningEtl} from '../support/run-cli.js'

// The test tsconfig has no DOM lib: the one browser shape the page callbacks use.
declare const window: {
  etlDashboard: {charts: Map<string, DashboardChart>; stats: {resets: number; rows: Record<string, number>}}
}
declare const location: {hash: string}
declare const performance: {getEntriesByType(type: string): unknown[]}
interface DashboardChart {
  view: {data(name: string): {t: number; value: number}[]; scale(name: string): ScaleLike; origin(): [number, number]}
  allRows(): {t: number}[]
  plot: {querySelector(selector: string): {getBoundingClientRect(): {left: number; top: number}} | null}
  visibleDomain(): [number, number]
}
interface ScaleLike {
  (value: number): number
  range(): [number, number]
  domain(): number[]
}

const HISTORY = readFileSync(join(REPO, 'data/btcusd-1d-2011-2025.csv'), 'utf8').trim().split('\n')
const HEADER = HISTORY[0]
/** The shipped history but its last 5 days, which the tests append as "new" rows. */
const SHIPPED = HISTORY.slice(1, -5)
const LATER = HISTORY.slice(-5)
const MOVING_AVERAGE = 20
const DAY = 86_400_000

const PIPELINE = `name: btc-daily
sinks:
  - type: stdout
dashboard:
  alerts: {csv: alerts.csv}
charts:
  - name: history
    data: {csv: prices.csv}
    spec: charts/price.vl.json
    title: BTC/USD daily close, ${MOVING_AVERAGE}-day moving average
    fields: {time: timestamp, value: close}
    defaultSeries: BTC
    movingAverage: ${MOVING_AVERAGE}
    output: {svg: out/history.svg}
  - name: candles
    data: {csv: prices.csv}
    spec: charts/candles.vl.json
    title: BTC/USD daily candles, last 120 days
    fields: {time: timestamp, value: close}
    defaultSeries: BTC
    window: 120d
    downsample: ohlc
    output: {svg: out/candles.svg}
`
const ALERT_HEADER = 'time,alert,symbol,vs_currency,value,message'

const timeOf = (line: string) => Date.parse(`${line.split(',')[0].replace(' ', 'T')}Z`)
const closeOf = (line: string) => Number(line.split(',')[2])

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function until<T>(what: string, check: () => T | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('live dashboard (Chromium, etl chart --serve)', function () {
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let dir: string
  let port: number
  let etl: RunningEtl | undefined
  const problems: string[] = []
  const requests: string[] = []

  async function startServer(): Promise<string> {
    etl = spawnEtl(['chart', 'dash.yaml', '--serve', '--port', String(port)], {cwd: dir})
    const running = etl
    await until(
      'the page address and both renders',
      () => /chart candles: /.test(running.output.stderr) && /live charts at (\S+)/.exec(running.output.stdout),
    )
    return `http://127.0.0.1:${port}/`
  }

  async function stopServer(): Promise<void> {
    if (!etl) return
    etl.child.kill('SIGINT')
    const {code} = await etl.exited
    expect(code, etl.output.stderr).to.equal(0)
    etl = undefined
  }

  /** Times of the rows the page holds for a chart (the tooltip and cards read them; the view draws a subset). */
  const heldTimes = (chart: string) =>
    page.evaluate(
      (name) =>
        window.etlDashboard.charts
          .get(name)!
          .allRows()
          .map((row) => row.t),
      chart,
    )
  /** Times of the rows the chart's Vega view draws: each at most once, all of them held rows. */
  const drawnTimes = async (chart: string) => {
    const drawn = await page.evaluate(
      (name) =>
        window.etlDashboard.charts
          .get(name)!
          .view.data('rows')
          .map((row) => row.t),
      chart,
    )
    expect(new Set(drawn).size, `${chart} draws a row twice`).to.equal(drawn.length)
    const held = new Set(await heldTimes(chart))
    expect(
      drawn.filter((t) => !held.has(t)),
      `${chart} draws rows it does not hold`,
    ).to.deep.equal([])
    return drawn
  }
  const visibleDomain = (chart: string) =>
    page.evaluate((name) => window.etlDashboard.charts.get(name)!.visibleDomain(), chart)

  /** Waits until the chart's view holds a row at time t (polls the view's data; no timing asserted). */
  const waitForRow = (chart: string, t: number) =>
    page.waitForFunction(
      ([name, time]) =>
        window.etlDashboard.charts
          .get(name as string)
          ?.view?.data('rows')
          .some((row) => row.t === time),
      [chart, t] as const,
      {timeout: 20_000},
    )

  before(async function () {
    this.timeout(CHROMIUM_INSTALL_TIMEOUT_MS + 120_000)
    buildCli()
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
  })
  beforeEach(async function () {
    this.timeout(60_000)
    problems.length = 0
    requests.length = 0
    dir = mkdtempSync(join(tmpdir(), 'etl-dashboard-'))
    writeFileSync(join(dir, 'prices.csv'), [HEADER, ...SHIPPED].join('\n') + '\n')
    writeFileSync(join(dir, 'alerts.csv'), ALERT_HEADER + '\n')
    writeFileSync(join(dir, 'dash.yaml'), PIPELINE)
    port = await freePort()
    const url = await startServer()
    context = await browser.newContext({locale: 'en-US', timezoneId: 'UTC', viewport: {width: 1360, height: 1000}})
    // Offline: anything not asked of the etl server is refused and recorded.
    await context.route('**/*', (route) => {
      const target = route.request().url()
      requests.push(target)
      return target.startsWith(url) ? route.continue() : route.abort()
    })
    page = await context.newPage()
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`)
    })
    await page.goto(url)
    await page.waitForSelector('[data-testid="connection"][data-state="live"]')
    await waitForRow('history', timeOf(SHIPPED.at(-1)!))
  })
  afterEach(async () => {
    await context?.close()
    await stopServer()
    rmSync(dir, {recursive: true, force: true})
  })

  it('loads offline from the etl server only, draws every row and saves the README screenshot', async function () {
    this.timeout(60_000)
    const origin = `http://127.0.0.1:${port}/`
    expect(requests.length).to.be.greaterThan(5)
    expect(requests.filter((url) => !url.startsWith(origin))).to.deep.equal([])
    expect(requests.some((url) => url.endsWith('/assets/vendor/vega-embed.min.js'))).to.equal(true)
    expect(await heldTimes('history')).to.deep.equal(SHIPPED.map(timeOf))
    // 14 years on ~800 px: the view draws a few rows per pixel (extremes kept), the latest among them.
    const drawn = await drawnTimes('history')
    expect(drawn.length).to.be.within(200, 2500)
    expect(drawn).to.include(timeOf(SHIPPED.at(-1)!))
    const candles = await heldTimes('candles')
    // The candles chart keeps its 120-day window, as its rendered SVG does.
    expect(Math.max(...candles) - Math.min(...candles)).to.be.at.most(120 * DAY)
    const card = page.locator('[data-testid="key-card"][data-key="BTC"]')
    expect(await card.getByTestId('card-last').getAttribute('data-value')).to.equal(String(closeOf(SHIPPED.at(-1)!)))
    appendFileSync(
      join(dir, 'alerts.csv'),
      `${SHIPPED.at(-3)!.split(',')[0]},move-5pct-1d,BTC,usd,-5.2,BTC moved -5.2% within 1d\n`,
    )
    await page.getByTestId('alert').first().waitFor()
    // The README's picture: the last 90 days (a range link), the pointer on a day of the close chart.
    const end = timeOf(SHIPPED.at(-1)!)
    await page.goto(`${origin}#from=${end - 90 * DAY}&to=${end}`)
    await page.waitForFunction(
      (from) => window.etlDashboard.charts.get('candles')?.visibleDomain()[0] === from,
      end - 90 * DAY,
    )
    await hover('history', timeOf(SHIPPED[SHIPPED.length - 26]))
    await page.getByTestId('tooltip').waitFor({state: 'visible'})
    mkdirSync(join(REPO, 'docs/images'), {recursive: true})
    await page.screenshot({path: join(REPO, 'docs/images/dashboard.png')})
    expect(problems).to.deep.equal([])
  })

  it('draws a row appended to the CSV without navigating, and updates the card', async function () {
    this.timeout(60_000)
    appendFileSync(join(dir, 'prices.csv'), LATER[0] + '\n')
    await waitForRow('history', timeOf(LATER[0]))
    await waitForRow('candles', timeOf(LATER[0]))
    const card = page.locator('[data-testid="key-card"][data-key="BTC"] [data-testid="card-last"]')
    await page.waitForFunction(
      (value) => document.querySelector('[data-testid="card-last"]')?.getAttribute('data-value') === value,
      String(closeOf(LATER[0])),
    )
    expect(await card.getAttribute('data-value')).to.equal(String(closeOf(LATER[0])))
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).to.equal(1)
    expect(problems).to.deep.equal([])
  })

  it('shows the hovered row: time, close and moving average, and the candle parts', async function () {
    this.timeout(60_000)
    const index = SHIPPED.length - 40
    const target = SHIPPED[index]
    const t = timeOf(target)
    // Zoomed to 30 days around the row (a link with the range in it), so each day is many pixels wide.
    await page.goto(`http://127.0.0.1:${port}/#from=${t - 15 * DAY}&to=${t + 15 * DAY}`)
    await waitForRow('history', t)
    await page.waitForFunction(
      (from) => window.etlDashboard.charts.get('candles')?.visibleDomain()[0] === from,
      t - 15 * DAY,
    )

    await hover('history', t)
    const tip = page.getByTestId('tooltip')
    await tip.waitFor({state: 'visible'})
    expect(await tip.getByTestId('tooltip-time').textContent()).to.equal(formatUtc(t))
    const closes = SHIPPED.slice(index - MOVING_AVERAGE + 1, index + 1).map(closeOf)
    const average = closes.reduce((sum, close) => sum + close, 0) / MOVING_AVERAGE
    expect(await tipValue('BTC', 'value')).to.equal(closeOf(target))
    expect(await tipValue('BTC', 'ma')).to.be.closeTo(average, 1e-6)
    expect(await tip.locator('[data-field="open"]').count()).to.equal(0)

    await hover('candles', t)
    await page.waitForFunction(() => document.querySelector('[data-field="open"]') !== null)
    const [, open, close, volume, , high, low] = target.split(',').map(Number)
    expect(await tipValue('BTC', 'open')).to.equal(open)
    expect(await tipValue('BTC', 'high')).to.equal(high)
    expect(await tipValue('BTC', 'low')).to.equal(low)
    expect(await tipValue('BTC', 'close')).to.equal(close)
    expect(await tipValue('BTC', 'volume')).to.equal(volume)
    expect(problems).to.deep.equal([])
  })

  it('a range preset, the wheel and a drag change the visible time domain; reset shows everything', async function () {
    this.timeout(60_000)
    const first = timeOf(SHIPPED[0])
    const last = timeOf(SHIPPED.at(-1)!)
    const full = await visibleDomain('history')
    expect(full[0]).to.be.at.most(first)
    expect(full[1]).to.be.at.least(last)

    await page.getByRole('button', {name: '7d', exact: true}).click()
    await page.waitForFunction(
      () => window.etlDashboard.charts.get('history')!.visibleDomain()[0] > 0 && location.hash === '#range=7d',
    )
    const week = await page.waitForFunction((end) => {
      const [from, to] = window.etlDashboard.charts.get('history')!.visibleDomain()
      return to === end ? [from, to] : false
    }, last)
    const [weekFrom, weekTo] = (await week.jsonValue()) as [number, number]
    expect(weekTo - weekFrom).to.equal(7 * DAY)
    expect(await visibleDomain('candles')).to.deep.equal([weekFrom, weekTo])

    const box = (await page.getByTestId('chart-plot').first().boundingBox())!
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
    await page.mouse.wheel(0, -400)
    const zoomed = await page.waitForFunction((width) => {
      const [from, to] = window.etlDashboard.charts.get('history')!.visibleDomain()
      return to - from < width ? [from, to] : false
    }, 7 * DAY)
    const [zoomFrom, zoomTo] = (await zoomed.jsonValue()) as [number, number]
    expect(zoomFrom).to.be.greaterThan(weekFrom)
    expect(zoomTo).to.be.lessThan(weekTo)
    expect(await page.evaluate(() => location.hash)).to.match(/^#from=\d+&to=\d+$/)

    await page.mouse.down()
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2, {steps: 4})
    await page.mouse.up()
    const panned = await page.waitForFunction((from) => {
      const domain = window.etlDashboard.charts.get('history')!.visibleDomain()
      return domain[0] < from ? domain : false
    }, zoomFrom)
    const [panFrom, panTo] = (await panned.jsonValue()) as [number, number]
    expect(panTo - panFrom).to.be.closeTo(zoomTo - zoomFrom, 1)

    await page.getByTestId('reset-zoom').click()
    await page.waitForFunction(
      ([from, to]) => {
        const domain = window.etlDashboard.charts.get('history')!.visibleDomain()
        return domain[0] <= from && domain[1] >= to
      },
      [first, last],
    )
    expect(problems).to.deep.equal([])
  })

  it('shows an alert record appended to the alerts CSV, as text', async function () {
    this.timeout(60_000)
    expect(await page.getByTestId('alert').count()).to.equal(0)
    const message = '<img src=x data-injected=1> BTC moved -5.2% within 1d'
    appendFileSync(join(dir, 'alerts.csv'), `2025-09-18 00:00:00,move-5pct-1d,BTC,usd,-5.2,${message}\n`)
    const alert = page.getByTestId('alert').first()
    await alert.waitFor()
    expect(await alert.locator('.alert-rule').textContent()).to.equal('move-5pct-1d')
    expect(await alert.locator('.alert-message').textContent()).to.equal(message)
    expect(await alert.locator('.alert-meta').textContent()).to.include('symbol BTC')
    expect(await page.locator('[data-injected]').count()).to.equal(0)
    expect(await page.getByTestId('alert-count').textContent()).to.equal('1')
    expect(problems).to.deep.equal([])
  })

  it('resumes after a server restart with no duplicated or missing point', async function () {
    this.timeout(120_000)
    const before = await page.evaluate(() => ({...window.etlDashboard.stats}))
    await stopServer()
    await page.waitForSelector('[data-testid="connection"][data-state="reconnecting"]')
    appendFileSync(join(dir, 'prices.csv'), LATER.slice(0, 3).join('\n') + '\n')
    await startServer()
    await waitForRow('history', timeOf(LATER[2]))
    await page.waitForSelector('[data-testid="connection"][data-state="live"]')
    appendFileSync(join(dir, 'prices.csv'), LATER[3] + '\n')
    await waitForRow('history', timeOf(LATER[3]))
    await waitForRow('candles', timeOf(LATER[3]))

    const expected = [...SHIPPED, ...LATER.slice(0, 4)].map(timeOf)
    expect(await heldTimes('history')).to.deep.equal(expected)
    await drawnTimes('history')
    const candles = await heldTimes('candles')
    expect(new Set(candles).size).to.equal(candles.length)
    expect((await drawnTimes('candles')).filter((t) => t >= timeOf(LATER[0]))).to.have.length(4)
    expect(candles.filter((t) => t >= timeOf(LATER[0]))).to.have.length(4)
    // Resumed from the last event id: the restarted server sent only the four new rows, no snapshot.
    const after = await page.evaluate(() => ({...window.etlDashboard.stats}))
    expect(after.resets).to.equal(before.resets)
    expect(after.rows.history - before.rows.history).to.equal(4)
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).to.equal(1)
    // The browser logs its refused reconnection attempts as console errors; only script errors matter here.
    expect(problems.filter((problem) => problem.startsWith('pageerror'))).to.deep.equal([])
  })

  async function hover(chart: string, t: number): Promise<void> {
    const point = await page.evaluate(
      ([name, time]) => {
        const c = window.etlDashboard.charts.get(name as string)!
        const box = c.plot.querySelector('canvas')!.getBoundingClientRect()
        const [x, y] = c.view.origin()
        return {x: box.left + x + c.view.scale('x')(time as number), y: box.top + y + 40}
      },
      [chart, t] as const,
    )
    await page.mouse.move(point.x, point.y)
  }

  async function tipValue(key: string, field: string): Promise<number> {
    const text = await page
      .getByTestId('tooltip')
      .locator(`[data-key="${key}"] [data-field="${field}"] b`)
      .getAttribute('data-value')
    return Number(text)
  }
})

const utcFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC',
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})
const formatUtc = (t: number) => `${utcFormat.format(new Date(t))} UTC`

declare const document: {querySelector(selector: string): {getAttribute(name: string): string | null} | null}
