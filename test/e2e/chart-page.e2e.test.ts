/**
 * The image page (/images) in a real headless Chromium: it must show each chart and its summary, then pick up new
 * renders in place (no reload) and survive the server going away and coming back on the same port.
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {startChartServer, type ChartServer, type ChartUpdate} from '../../src/runtime/charts/chart-server.js'
import {createLogger} from '../../src/runtime/logger.js'
import {CHROMIUM_INSTALL_TIMEOUT_MS, launchChromium} from '../support/chromium.js'

// The test tsconfig has no DOM lib (etl is a Node project): these are the few browser shapes the page callbacks use.
interface PageImage {
  src: string
  naturalWidth: number
  decode(): Promise<void>
}
declare const window: {marker?: number}
declare const document: {
  querySelector(selector: string): {textContent: string | null; getAttribute(name: string): string | null} | null
}
declare const performance: {getEntriesByType(type: string): unknown[]}

interface Day {
  date: string
  close: number
}

const days: Day[] = readFileSync(new URL('../../data/btcusd-1d-2011-2025.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
  .map(([timestamp, , close]) => ({date: timestamp.slice(0, 10), close: Number(close)}))

/** A line chart like the renderer's: axes, one <path>, <text> labels; `mark` lets the test tell two renders apart. */
function lineSvg(rows: Day[], label: string, mark: string): string {
  const [w, h, pad] = [640, 260, 56]
  const closes = rows.map((d) => d.close)
  const [min, max] = [Math.min(...closes), Math.max(...closes)]
  const x = (i: number) => pad + (i * (w - 2 * pad)) / Math.max(1, rows.length - 1)
  const y = (v: number) => h - pad - ((v - min) * (h - 2 * pad)) / Math.max(1e-9, max - min)
  const d = rows.map((day, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(day.close).toFixed(1)}`).join('')
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" data-mark="${mark}">` +
    `<rect width="${w}" height="${h}" fill="#fff"/>` +
    `<g stroke="#d0d4da"><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}"/>` +
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}"/></g>` +
    `<path d="${d}" fill="none" stroke="#f7931a" stroke-width="2"/>` +
    `<g font-family="sans-serif" font-size="11" fill="#555">` +
    `<text x="${pad}" y="${pad - 12}">${label} · ${mark}</text>` +
    `<text x="${pad}" y="${h - 12}">${rows[0].date}</text>` +
    `<text x="${w - pad}" y="${h - 12}" text-anchor="end">${rows.at(-1)!.date}</text>` +
    `<text x="${pad - 4}" y="${pad}" text-anchor="end">${max.toFixed(0)}</text>` +
    `<text x="${pad - 4}" y="${h - pad}" text-anchor="end">${min.toFixed(0)}</text></g></svg>`
  )
}

function chartUpdate(chart: string, title: string, rows: Day[], mark: string): ChartUpdate {
  const first = rows[0].close
  const last = rows.at(-1)!
  return {
    chart,
    title,
    svg: lineSvg(rows, title, mark),
    summary: [
      {
        series: 'bitcoin',
        latest: last.close,
        change: last.close - first,
        changePct: ((last.close - first) / first) * 100,
        at: `${last.date}T00:00:00.000Z`,
      },
    ],
    renderedAt: new Date().toISOString(),
    points: rows.length,
    renderedPoints: Math.min(rows.length, 200),
  }
}

const priceFormat = new Intl.NumberFormat('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2})

describe('live chart page (Chromium)', function () {
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let server: ChartServer
  const problems: string[] = []

  before(async function () {
    this.timeout(CHROMIUM_INSTALL_TIMEOUT_MS + 60_000)
    browser = await launchChromium()
  })
  after(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    problems.length = 0
    server = await startChartServer({
      port: 0,
      logger: createLogger('chart-server', {level: 'warn'}),
      title: 'btc-replay',
    })
    context = await browser.newContext({locale: 'en-US', timezoneId: 'UTC', viewport: {width: 1360, height: 900}})
    page = await context.newPage()
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
  })
  afterEach(async () => {
    await context?.close()
    await server?.close()
  })

  const card = (chart: string) => page.locator(`[data-testid="chart-card"][data-chart="${chart}"]`)
  const imageMark = (chart: string) =>
    card(chart)
      .locator('[data-testid="chart-image"]')
      .evaluate(async (img: PageImage) => {
        await img.decode()
        const svg = await fetch(img.src).then((r) => r.text())
        return {mark: /data-mark="([^"]+)"/.exec(svg)?.[1], width: img.naturalWidth, src: img.src}
      })

  it('shows each chart with its summary and updates in place as new renders arrive', async function () {
    this.timeout(60_000)
    const month = days.slice(-31, -1)
    server.publish(chartUpdate('btc-30d', 'BTC/USD, last 30 days', month, 'render-1'))
    server.publish(chartUpdate('btc-1y', 'BTC/USD, last year', days.slice(-366, -1), 'render-1'))

    await page.goto(new URL('images', server.url).href)
    await page.evaluate(() => (window.marker = 42))
    expect(await page.getByTestId('page-title').textContent()).to.equal('btc-replay')
    await page.waitForSelector('[data-testid="connection"][data-state="live"]')
    expect(await page.getByTestId('connection').textContent()).to.equal('live')
    expect(await page.getByTestId('chart-card').count()).to.equal(2)

    const before = await imageMark('btc-30d')
    expect(before.mark).to.equal('render-1')
    expect(before.width).to.equal(640)
    const row = card('btc-30d').locator('tbody tr[data-series="bitcoin"]')
    const oldLatest = month.at(-1)!.close
    expect(await row.getByTestId('latest').textContent()).to.equal(priceFormat.format(oldLatest))
    const change = oldLatest - month[0].close
    expect(await row.getByTestId('change').getAttribute('class')).to.include(change > 0 ? 'up' : 'down')
    expect(await row.getByTestId('change-pct').textContent()).to.match(/^[+-]\d+\.\d\d%$/)
    expect(await card('btc-30d').getByTestId('chart-meta').textContent()).to.match(
      /^updated \d\d:\d\d:\d\d( [AP]M)? · 30 points$/,
    )

    const nextMonth = days.slice(-30)
    server.publish(chartUpdate('btc-30d', 'BTC/USD, last 30 days', nextMonth, 'render-2'))
    const newPrice = priceFormat.format(nextMonth.at(-1)!.close)
    await page.waitForFunction(
      (price) => document.querySelector('[data-chart="btc-30d"] [data-testid="latest"]')?.textContent === price,
      newPrice,
    )
    const after = await imageMark('btc-30d')
    expect(after.mark).to.equal('render-2')
    expect(after.src).not.to.equal(before.src)
    expect((await imageMark('btc-1y')).mark).to.equal('render-1')
    expect(await page.evaluate(() => window.marker)).to.equal(42)
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).to.equal(1)

    await page.screenshot({path: '/tmp/etl-chart-page.png', fullPage: true})
    await page.emulateMedia({colorScheme: 'dark'})
    await page.screenshot({path: '/tmp/etl-chart-page-dark.png', fullPage: true})
    expect(problems).to.deep.equal([])
  })

  it('shows reconnecting while the server is gone and catches up when it returns', async function () {
    this.timeout(60_000)
    server.publish(chartUpdate('btc-30d', 'BTC/USD, last 30 days', days.slice(-31, -1), 'render-1'))
    await page.goto(new URL('images', server.url).href)
    await page.evaluate(() => (window.marker = 7))
    await page.waitForSelector('[data-testid="connection"][data-state="live"]')

    const port = server.port
    await server.close()
    await page.waitForSelector('[data-testid="connection"][data-state="reconnecting"]')
    expect(await page.getByTestId('connection').textContent()).to.equal('reconnecting…')

    server = await startChartServer({port, logger: createLogger('chart-server', {level: 'warn'}), title: 'btc-replay'})
    const third = chartUpdate('btc-30d', 'BTC/USD, last 30 days', days.slice(-30), 'render-3')
    server.publish(third)
    await page.waitForSelector('[data-testid="connection"][data-state="live"]', {timeout: 15_000})
    await page.waitForFunction(
      (at) => document.querySelector('[data-chart="btc-30d"]')?.getAttribute('data-rendered-at') === at,
      third.renderedAt,
    )
    expect((await imageMark('btc-30d')).mark).to.equal('render-3')
    expect(await page.evaluate(() => window.marker)).to.equal(7)
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).to.equal(1)
    // The browser logs the refused reconnection attempts as console errors; only script errors matter here.
    expect(problems.filter((p) => p.startsWith('pageerror'))).to.deep.equal([])
  })
})
