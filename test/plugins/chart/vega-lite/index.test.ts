import {readFileSync} from 'node:fs'
import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import * as vega from 'vega'
import vegaLite from '../../../../src/plugins/chart/vega-lite/index.js'
import {isEtlError} from '../../../../src/runtime/errors.js'
import type {ChartInstance, EtlRecord} from '../../../../src/runtime/plugin-types.js'
import {loadSharp} from '../../../../src/plugins/chart/vega-lite/font-setup.js'
import {measureText} from '../../../../src/plugins/chart/vega-lite/text-metrics.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

const readCsv = (path: string) => parse(readFileSync(path), {columns: true}) as EtlRecord[]
const DAILY = readCsv('data/btcusd-1d-2011-2025.csv')
const FIVE_MINUTE = readCsv('data/btcusd-5m-2011.csv')
const PRICE_SPEC = resolve('charts/price.vl.json')
const CANDLE_SPEC = resolve('charts/candles.vl.json')
/** tableau10's first colour: the first series' line in price.vl.json. */
const LINE_BLUE = [0x4c, 0x78, 0xa8]
const GREEN = [0x16, 0xa3, 0x4a]
const RED = [0xdc, 0x26, 0x26]

interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** The plot area, read from vega's SVG: the root group's offset and its frame's background path. */
function plotRect(svg: string): Rect {
  const offset = /transform="translate\(([\d.]+),([\d.]+)\)"><g class="mark-group role-frame root"/.exec(svg)
  const frame = /role-frame root.*?<path class="background"[^>]*d="M0\.5,0\.5h([\d.]+)v([\d.]+)h/.exec(svg)
  if (!offset || !frame) throw new Error('no plot frame in the SVG')
  return {x: Number(offset[1]), y: Number(offset[2]), width: Number(frame[1]), height: Number(frame[2])}
}

async function pixelStats(file: string, rect: Rect, scale: number, colours: number[][]) {
  const sharp = await loadSharp()
  const {data, info} = await sharp(file).removeAlpha().raw().toBuffer({resolveWithObject: true})
  let ink = 0
  const matches = colours.map(() => 0)
  // Inset by 2 px so the frame's own border is not counted as drawing.
  for (let y = Math.ceil((rect.y + 2) * scale); y < (rect.y + rect.height - 2) * scale; y++) {
    for (let x = Math.ceil((rect.x + 2) * scale); x < (rect.x + rect.width - 2) * scale; x++) {
      const i = (y * info.width + x) * info.channels
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]]
      // Grid lines are #ddd: darker than that counts as ink.
      if (Math.min(r, g, b) < 200) ink++
      colours.forEach(([cr, cg, cb], k) => {
        if (Math.abs(r - cr) <= 12 && Math.abs(g - cg) <= 12 && Math.abs(b - cb) <= 12) matches[k]++
      })
    }
  }
  return {ink, matches}
}

describe('vega-lite chart plugin', function () {
  this.timeout(60_000)
  let dir: string
  const open: ChartInstance[] = []
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-chart-'))
  })
  afterEach(async () => {
    await Promise.all(open.splice(0).map((chart) => chart.close()))
    await rm(dir, {recursive: true, force: true})
  })

  async function chart(config: Record<string, unknown>) {
    const test = testContext({cwd: dir})
    const instance = (await vegaLite.create(configFor(vegaLite, config), test.context)) as ChartInstance
    open.push(instance)
    return {...test, chart: instance}
  }

  it('renders the price chart from 14 years of daily BTC closes: size, ink, line colour, marks and text', async () => {
    const {chart: price} = await chart({
      spec: PRICE_SPEC,
      output: {png: 'out/price.png', svg: 'out/price.svg'},
      fields: {value: 'close'},
      defaultSeries: 'BTC',
      title: 'Bitcoin, daily close',
      width: 700,
      height: 350,
      scale: 2,
    })
    price.add(DAILY)
    const render = await price.render()
    expect(render.outputs).to.deep.equal([join(dir, 'out/price.svg'), join(dir, 'out/price.png')])
    expect(render.points).to.equal(DAILY.length)
    // LTTB to at most `width` points per series, in buckets of a "nice" size: 646 for these 5,153 rows.
    expect(render.renderedPoints).to.be.within(560, 700)
    expect(render.ms).to.be.greaterThan(0)

    const sharp = await loadSharp()
    const meta = await sharp(join(dir, 'out/price.png')).metadata()
    expect([meta.width, meta.height]).to.deep.equal([1400, 700])

    const svg = readFileSync(join(dir, 'out/price.svg'), 'utf8')
    expect(svg).to.equal(render.svg)
    expect(svg).to.match(/<g class="mark-line role-mark[^"]*"[^>]*><path[^>]* d="M[^"]{2000,}"/)
    expect(svg).to.include('stroke-dasharray="6,3"')
    for (const text of ['Bitcoin, daily close', 'Time (UTC)', 'Price (USD)', 'Coin', 'BTC', 'Moving average', '2016']) {
      expect(svg).to.include(`>${text}</text>`)
    }

    const rect = plotRect(svg)
    const {ink, matches} = await pixelStats(join(dir, 'out/price.png'), rect, 2, [LINE_BLUE])
    expect(ink, 'non-white pixels in the plot').to.be.greaterThan(3000)
    expect(matches[0], 'pixels of the line colour').to.be.greaterThan(2000)
    expect(await readdir(join(dir, 'out'))).to.deep.equal(['price.png', 'price.svg'])
  })

  it('renders candlesticks over volume from 5-minute data merged into OHLC buckets', async () => {
    const {chart: candles} = await chart({
      spec: CANDLE_SPEC,
      output: {png: 'candles.png', svg: 'candles.svg'},
      fields: {value: 'close'},
      downsample: 'ohlc',
    })
    candles.add(FIVE_MINUTE)
    const render = await candles.render()
    expect(render.points).to.equal(FIVE_MINUTE.length)
    // Default for ohlc: one candle per 8 px of width.
    expect(render.renderedPoints).to.equal(100)
    const sharp = await loadSharp()
    const meta = await sharp(join(dir, 'candles.png')).metadata()
    expect([meta.width, meta.height]).to.deep.equal([1600, 800])

    const svg = render.svg
    const wicks = /<g class="mark-rule role-mark[^>]*>(.*?)<\/g>/.exec(svg)?.[1] ?? ''
    const bodies = [...svg.matchAll(/<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/g)].map((match) => match[1])
    expect(wicks.match(/<line /g)).to.have.length(100)
    expect(bodies).to.have.length(3) // volume bars, candle bodies, close ticks
    for (const body of bodies) expect(body.match(/<path /g)).to.have.length(100)
    expect(wicks).to.include('stroke="#16a34a"').and.to.include('stroke="#dc2626"')
    for (const text of ['Price (USD)', 'Volume', 'Time (UTC)', 'December']) expect(svg).to.include(`>${text}</text>`)

    const {ink, matches} = await pixelStats(join(dir, 'candles.png'), plotRect(svg), 2, [GREEN, RED])
    expect(ink).to.be.greaterThan(3000)
    expect(matches[0], 'green (up) candle pixels').to.be.greaterThan(500)
    expect(matches[1], 'red (down) candle pixels').to.be.greaterThan(500)
  })

  it('draws the same SVG after many incremental renders as a fresh chart given the same rows at once', async () => {
    for (const downsample of ['lttb', 'ohlc']) {
      const spec = downsample === 'ohlc' ? CANDLE_SPEC : PRICE_SPEC
      const config = {spec, output: {svg: `${downsample}.svg`}, fields: {value: 'close'}, downsample, window: '20d'}
      const {chart: live} = await chart(config)
      live.add(FIVE_MINUTE.slice(0, 5000))
      await live.render()
      for (let i = 5000; i < 5600; i += 40) {
        live.add(FIVE_MINUTE.slice(i, i + 40))
        // A re-sent last row with a new price replaces it (same time).
        live.add([{...FIVE_MINUTE[i + 39], close: String(Number(FIVE_MINUTE[i + 39].close) + 1)}])
        await live.render()
      }
      live.reset()
      live.add(FIVE_MINUTE.slice(0, 5600))
      const incremental = await live.render()
      const {chart: fresh} = await chart(config)
      fresh.add(FIVE_MINUTE.slice(0, 5600))
      const whole = await fresh.render()
      expect(incremental.renderedPoints).to.equal(whole.renderedPoints)
      // Same elements; clip-path ids count renders, and patched-in marks may come later in the document.
      const elements = (svg: string) =>
        svg
          .replace(/clip\d+/g, 'clip')
          .split('<')
          .sort()
      expect(elements(incremental.svg), downsample).to.deep.equal(elements(whole.svg))
    }
  })

  it("measures layout text with the shipped font rather than vega's estimate", async () => {
    await chart({spec: PRICE_SPEC, output: {svg: 'x.svg'}})
    expect((vega as unknown as {textMetrics: {width: unknown}}).textMetrics.width).to.equal(measureText)
  })

  it('draws every series with a colour, and summarises each for the live page', async () => {
    const {chart: live} = await chart({spec: PRICE_SPEC, output: {svg: 'live.svg'}, movingAverage: 3})
    live.add([
      {timestamp: '2025-01-01T00:00:00Z', symbol: 'BTC', price_usd: 100},
      {timestamp: '2025-01-01T00:00:00Z', symbol: 'ETH', price_usd: '10'},
      {timestamp: '2025-01-01T00:01:00Z', symbol: 'BTC', price_usd: 110},
      {timestamp: '2025-01-01T00:01:00Z', symbol: 'ETH', price_usd: '9'},
      {timestamp: '2025-01-01T00:02:00Z', symbol: 'BTC', price_usd: 90},
    ])
    const {svg} = await live.render()
    expect(svg).to.include('>ETH</text>').and.to.include('>BTC</text>')
    expect(live.summary()).to.deep.equal([
      {series: 'BTC', latest: 90, change: -10, changePct: -10, at: '2025-01-01T00:02:00.000Z'},
      {series: 'ETH', latest: 9, change: -1, changePct: -10, at: '2025-01-01T00:01:00.000Z'},
    ])
    live.reset()
    expect(live.summary()).to.deep.equal([])
  })

  it('seriesTitle retitles the series legend, in the rendered file and the spec the live page draws', async () => {
    const {chart: titled} = await chart({
      spec: PRICE_SPEC,
      output: {svg: 'titled.svg'},
      fields: {series: 'exchange'},
      seriesTitle: 'Exchange',
    })
    titled.add([
      {timestamp: '2025-01-01T00:00:00Z', exchange: 'binance', price_usd: 100},
      {timestamp: '2025-01-01T00:00:00Z', exchange: 'coinbase', price_usd: 101},
    ])
    const {svg} = await titled.render()
    expect(svg).to.include('>Exchange</text>').and.to.include('>binance</text>').and.to.include('>coinbase</text>')
    expect(svg).not.to.include('>Coin</text>')
    const spec = titled.live!().spec as {encoding: {color: {title: string}; strokeDash: {title: string}}}
    expect([spec.encoding.color.title, spec.encoding.strokeDash.title]).to.deep.equal(['Exchange', 'Line'])
  })

  it('counts rows it cannot chart instead of dropping them silently', async () => {
    const {chart: skipping, counts, logs} = await chart({spec: PRICE_SPEC, output: {svg: 's.svg'}})
    skipping.add([
      {timestamp: '2025-01-01T00:00:00Z', price_usd: 1},
      {timestamp: 'yesterday', price_usd: 2},
      {timestamp: '2025-01-01T00:01:00Z', price_usd: 'n/a'},
      {price_usd: 3},
      {timestamp: '2024-12-31T00:00:00Z', price_usd: 4},
    ])
    expect(counts.get('rows_skipped')).to.equal(3)
    expect(counts.get('rows_out_of_order')).to.equal(1)
    expect(logs.filter((line) => line.includes('WARN'))).to.have.length(2)
    expect((await skipping.render()).points).to.equal(1)
  })

  it('fails a render (ETL_CHART_RENDER) when an output cannot be written, leaves no temp file, recovers', async () => {
    // A file where the output folder should be: mkdir fails even for root, unlike a read-only folder.
    await writeFile(join(dir, 'blocked'), 'not a folder')
    const {chart: failing} = await chart({spec: PRICE_SPEC, output: {png: 'blocked/chart.png', svg: 'ok/chart.svg'}})
    failing.add(DAILY.slice(0, 50).map((record) => ({...record, price_usd: record.close})))
    const error = await failing.render().then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(isEtlError(error) && error.code).to.equal('ETL_CHART_RENDER')
    expect((error as Error).message).to.match(/render failed: .*(ENOTDIR|EEXIST|not a directory)/i)
    expect((error as Error).cause).to.be.instanceOf(Error)
    await rm(join(dir, 'blocked'))
    const render = await failing.render()
    expect(render.outputs).to.have.length(2)
    expect(await readdir(join(dir, 'blocked'))).to.deep.equal(['chart.png'])
    expect(await readdir(join(dir, 'ok'))).to.deep.equal(['chart.svg'])
  })

  it('keeps memory bounded by points and window while rows keep arriving', async () => {
    const {chart: bounded} = await chart({
      spec: PRICE_SPEC,
      output: {svg: 'b.svg'},
      fields: {value: 'close'},
      points: 500,
    })
    for (let i = 0; i < FIVE_MINUTE.length; i += 1000) bounded.add(FIVE_MINUTE.slice(i, i + 1000))
    expect((await bounded.render()).points).to.equal(500)
    const {chart: windowed} = await chart({
      spec: PRICE_SPEC,
      output: {svg: 'w.svg'},
      fields: {value: 'close'},
      window: '1h',
    })
    windowed.add(FIVE_MINUTE)
    // 5-minute rows within one hour of the last: 13 (both ends included).
    expect((await windowed.render()).points).to.equal(13)
  })

  it('refuses to start with a missing or broken spec (ETL_CHART_INVALID)', async () => {
    await writeFile(join(dir, 'broken.vl.json'), '{"mark": ')
    await writeFile(join(dir, 'no-rows.vl.json'), '{"data": {"values": [{"a": 1}]}, "mark": "point"}')
    for (const spec of ['missing.vl.json', 'broken.vl.json', 'no-rows.vl.json']) {
      const error = await chart({spec, output: {png: 'x.png'}}).then(
        () => undefined,
        (caught: unknown) => caught,
      )
      expect(isEtlError(error) && error.code, spec).to.equal('ETL_CHART_INVALID')
      expect((error as Error).message).to.include(spec)
    }
  })
})
