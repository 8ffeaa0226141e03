import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import vegaLite from '../../src/plugins/chart/vega-lite/index.js'
import {ChartHarness, EventTimeline} from '../../src/testing/index.js'

describe('etl/testing: charts', () => {
  it('adds rows, renders to the configured file and summarises each series', async function () {
    this.timeout(60_000)
    const dir = mkdtempSync(join(tmpdir(), 'etl-kit-chart-'))
    const svg = join(dir, 'price.svg')
    const chart = await ChartHarness.create(vegaLite, {spec: 'charts/price.vl.json', output: {svg}})
    const time = new EventTimeline('2026-01-01T00:00:00Z')
    chart.add(
      time.records(
        [100, 102, 99, 110].map((price) => ({symbol: 'BTC', price_usd: price})),
        '1m',
      ),
    )
    const render = await chart.render()
    expect(render.outputs).to.deep.equal([svg])
    expect(render.points).to.equal(4)
    expect(readFileSync(svg, 'utf8')).to.equal(render.svg).and.include('<svg')
    expect(chart.summary()).to.deep.equal([
      {series: 'BTC', latest: 110, change: 10, changePct: 10, at: '2026-01-01T00:03:00.000Z'},
    ])
    chart.reset()
    expect(chart.summary()).to.deep.equal([])
    await chart.close()
  })
})
