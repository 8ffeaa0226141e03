import {expect} from 'chai'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {at, ChartHarness, checkConfig} from 'etl/testing'
import plugin from '../src/index.js'

describe('chart {{pluginName}}', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), '{{pluginName}}-test-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('draws one line per series into the SVG file', async () => {
    const output = join(dir, 'charts', 'prices.svg')
    const instance = await ChartHarness.create(plugin, {output, width: 100, height: 50})
    instance.add([
      at('2026-01-01T00:00:00Z', {symbol: 'BTC', price_usd: 100}),
      at('2026-01-01T00:01:00Z', {symbol: 'BTC', price_usd: 110}),
      at('2026-01-01T00:00:30Z', {symbol: 'ETH', price_usd: '105'}),
    ])
    const render = await instance.render()
    expect(render.outputs).to.deep.equal([output])
    expect(render.points).to.equal(3)
    const svg = await readFile(output, 'utf8')
    expect(svg).to.equal(render.svg)
    expect(svg).to.include('<polyline data-series="BTC" fill="none" stroke="#1f77b4" points="0.0,50.0 100.0,0.0"/>')
    expect(svg).to.include('data-series="ETH" fill="none" stroke="#ff7f0e" points="50.0,25.0"')
    await instance.close()
  })

  it('summarises each series and skips rows without a usable value', async () => {
    const instance = await ChartHarness.create(plugin, {output: join(dir, 'c.svg')})
    instance.add([
      at('2026-01-01T00:00:00Z', {symbol: 'BTC', price_usd: 100}),
      at('2026-01-01T00:01:00Z', {symbol: 'BTC', price_usd: null}),
      at('2026-01-01T00:02:00Z', {symbol: 'BTC', price_usd: 125}),
    ])
    expect(instance.summary()).to.deep.equal([
      {series: 'BTC', latest: 125, change: 25, changePct: 25, at: '2026-01-01T00:02:00.000Z'},
    ])
    expect(instance.counts.get('rows_skipped')).to.equal(1)
    instance.reset()
    expect(instance.summary()).to.deep.equal([])
  })

  it('needs an output file', async () => {
    expect(await checkConfig(plugin, {})).to.have.length(1)
    expect(await checkConfig(plugin, {output: 'charts/x.svg'})).to.deep.equal([])
  })
})
