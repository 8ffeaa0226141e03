/**
 * A chart site of several pipelines over a real server (`etl chart a.yaml b.yaml --serve`): an index linking each
 * pipeline's pages, each pipeline's dashboard, image page and API under `/<name>/` and only its own data there.
 */
import {expect} from 'chai'
import {startChartSite, type ChartSite} from '../../../src/runtime/charts/chart-server.js'
import {createLogger} from '../../../src/runtime/logger.js'
import type {LiveChartSource} from '../../../src/runtime/plugin-types.js'

function source(): LiveChartSource {
  return {
    spec: {data: {name: 'rows'}, mark: 'line'},
    data: 'rows',
    fields: {time: 't', key: 'series', value: 'value', details: ['value']},
    follow: () => undefined,
  }
}

describe('chart site of several pipelines', () => {
  let site: ChartSite

  beforeEach(async () => {
    site = await startChartSite({
      port: 0,
      logger: createLogger('test', {level: 'error'}),
      pipelines: [
        {name: 'btc', description: 'BTC <daily> & co'},
        {name: 'btc trades', description: 'trades'},
      ],
    })
    site.pipelines.get('btc')!.dashboard.addChart('price', 'Price', source())
    site.pipelines.get('btc trades')!.dashboard.addChart('candles', 'Candles', source())
  })
  afterEach(() => site.close())

  it('lists every pipeline at /, with links to its dashboard and image page, text escaped, no script', async () => {
    const response = await fetch(site.url)
    expect(response.status).to.equal(200)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).to.include("default-src 'none'")
    expect(csp).not.to.include('script-src')
    const html = await response.text()
    expect(html).to.include('<a href="/btc/">btc</a>')
    expect(html).to.include('<a class="images" href="/btc%20trades/images">images</a>')
    expect(html).to.include('BTC &#60;daily&#62; &#38; co')
    expect(html).not.to.include('<script')
    expect(site.pipelines.get('btc trades')!.url).to.equal(`${site.url}btc%20trades/`)
  })

  it("serves each pipeline's dashboard and API under its own path, with its own charts only", async () => {
    const page = await fetch(new URL('btc/', site.url))
    expect(page.status).to.equal(200)
    expect(await page.text()).to.include('<h1 data-testid="page-title">btc</h1>')
    const charts = async (base: string) =>
      (await fetch(new URL(`${base}api/charts`, site.url)).then((r) => r.json())) as {
        chart: string
        seriesUrl: string
      }[]
    expect((await charts('btc/')).map((c) => [c.chart, c.seriesUrl])).to.deep.equal([
      ['price', '/btc/api/series/price'],
    ])
    expect((await charts('btc%20trades/')).map((c) => [c.chart, c.seriesUrl])).to.deep.equal([
      ['candles', '/btc%20trades/api/series/candles'],
    ])
    const series = await fetch(new URL('/btc/api/series/price', site.url))
    expect(series.status).to.equal(200)
    expect(await fetch(new URL('/btc/api/series/candles', site.url)).then((r) => r.status)).to.equal(404)
    const css = await fetch(new URL('btc%20trades/assets/dashboard/dashboard.css', site.url))
    expect(css.status).to.equal(200)
  })

  it('redirects a pipeline path without its slash, and answers unknown paths 404 with fixed text', async () => {
    const bare = await fetch(new URL('btc', site.url), {redirect: 'manual'})
    expect(bare.status).to.equal(308)
    expect(bare.headers.get('location')).to.equal('/btc/')
    for (const path of ['nobody/', '%E0%A4%A/', 'btc/nothing-here']) {
      const response = await fetch(new URL(path, site.url))
      expect(response.status, path).to.equal(404)
      expect(await response.text()).to.equal('not found\n')
    }
  })

  it('refuses two pipelines of one name', async () => {
    const logger = createLogger('test', {level: 'error'})
    const twice = startChartSite({port: 0, logger, pipelines: [{name: 'a'}, {name: 'a'}]})
    await twice.then(
      () => expect.fail('started'),
      (error: Error) => expect(error.message).to.include('two pipelines are named "a"'),
    )
  })
})
