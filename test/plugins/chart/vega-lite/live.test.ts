import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {expect} from 'chai'
import vegaLite from '../../../../src/plugins/chart/vega-lite/index.js'
import type {ChartInstance} from '../../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

describe('vega-lite chart plugin: the live side for the dashboard', function () {
  this.timeout(60_000)
  let dir: string
  let chart: ChartInstance

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-live-chart-'))
    const config = {
      spec: resolve('charts/price.vl.json'),
      output: {svg: 'out/price.svg'},
      title: 'Price, live',
      movingAverage: 2,
      window: '1h',
    }
    chart = (await vegaLite.create(configFor(vegaLite, config), testContext({cwd: dir}).context)) as ChartInstance
  })
  afterEach(async () => {
    await chart.close()
    await rm(dir, {recursive: true, force: true})
  })

  it('offers the spec as rendered, the field roles, and every row as it enters the window', () => {
    const live = chart.live!()
    expect(live.data).to.equal('rows')
    expect((live.spec.title as {text: string}).text).to.equal('Price, live')
    expect(live.fields).to.deep.include({time: 't', key: 'series', value: 'value'})
    expect(live.windowMs).to.equal(3_600_000)
    const batches: Record<string, unknown>[][] = []
    let resets = 0
    live.follow({rows: (rows) => batches.push(rows), reset: () => resets++})

    chart.add([
      {timestamp: '2025-09-24T00:00:00Z', symbol: 'BTC', price_usd: '100'},
      {timestamp: '2025-09-24T00:01:00Z', symbol: 'BTC', price_usd: '102'},
      {timestamp: 'not a time', symbol: 'BTC', price_usd: '1'},
    ])
    chart.add([{timestamp: '2025-09-24T00:01:00Z', symbol: 'BTC', price_usd: '104'}])
    expect(batches).to.have.length(2)
    expect(batches[0].map((row) => [row.t, row.series, row.value, row.ma])).to.deep.equal([
      [Date.parse('2025-09-24T00:00:00Z'), 'BTC', 100, null],
      [Date.parse('2025-09-24T00:01:00Z'), 'BTC', 102, 101],
    ])
    // The same time again replaces the row (its moving average too): the page replaces it as well.
    expect(batches[1].map((row) => [row.t, row.value, row.ma])).to.deep.equal([
      [Date.parse('2025-09-24T00:01:00Z'), 104, 102],
    ])
    chart.reset()
    expect(resets).to.equal(1)
    live.follow(undefined)
    chart.add([{timestamp: '2025-09-24T00:02:00Z', symbol: 'BTC', price_usd: '105'}])
    expect(batches).to.have.length(2)
  })
})
