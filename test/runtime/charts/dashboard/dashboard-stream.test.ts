/**
 * The dashboard's event stream and JSON API over a real server: a snapshot first, rows as they come with the
 * positions as event ids, and a reconnect with Last-Event-ID (or ?last=) that resumes without a gap or a duplicate.
 */
import {expect} from 'chai'
import {startChartServer, type ChartServer} from '../../../../src/runtime/charts/chart-server.js'
import {createLogger} from '../../../../src/runtime/logger.js'
import type {LiveChartSource, LiveRowsListener} from '../../../../src/runtime/plugin-types.js'

interface SseEvent {
  id?: string
  event?: string
  data?: string
}

/** A chart's live side as a plugin offers it: push rows through the listener the hub sets. */
function source(): LiveChartSource & {listener?: LiveRowsListener} {
  const live: LiveChartSource & {listener?: LiveRowsListener} = {
    spec: {data: {name: 'rows'}, mark: 'line'},
    data: 'rows',
    fields: {time: 't', key: 'series', value: 'value', details: ['value']},
    follow: (listener) => (live.listener = listener),
  }
  return live
}

const rows = (from: number, to: number) =>
  Array.from({length: to - from + 1}, (_, i) => ({t: (from + i) * 1000, series: 'A', value: from + i}))

async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const response = await fetch(url, {signal: controller.signal, headers})
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const next = async (): Promise<SseEvent> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: Record<string, string> = {}
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || !line.includes(':')) continue
          const at = line.indexOf(':')
          event[line.slice(0, at)] = line.slice(at + 1).replace(/^ /, '')
        }
        if (event.event || event.data) return event
        continue
      }
      const {value, done} = await reader.read()
      if (done) throw new Error('stream ended')
      buffer += value
    }
  }
  return {response, next, close: () => controller.abort()}
}

describe('dashboard stream and API', () => {
  let server: ChartServer
  let price: ReturnType<typeof source>

  beforeEach(async () => {
    server = await startChartServer({port: 0, logger: createLogger('test', {level: 'error'}), title: 'demo'})
    price = source()
    server.dashboard.addChart('price', 'Price', price)
  })
  afterEach(() => server.close())

  it('sends a snapshot, then new rows with the positions as ids; a reconnect resumes after the last id', async () => {
    price.listener!.rows(rows(1, 3))
    const first = await openStream(new URL('api/stream', server.url).href)
    expect(first.response.headers.get('content-type')).to.match(/^text\/event-stream/)
    const alerts = await first.next()
    expect(alerts.event).to.equal('alerts')
    const snapshot = await first.next()
    expect(snapshot.event).to.equal('rows')
    expect(JSON.parse(snapshot.data!)).to.deep.equal({chart: 'price', reset: true, rows: rows(1, 3)})
    expect(snapshot.id).to.equal('0.3')
    expect((await first.next()).event).to.equal('ready')
    price.listener!.rows(rows(4, 5))
    const live = await first.next()
    expect(JSON.parse(live.data!)).to.deep.equal({chart: 'price', reset: false, rows: rows(4, 5)})
    expect(live.id).to.equal('0.5')
    first.close()

    price.listener!.rows(rows(6, 8))
    const again = await openStream(new URL('api/stream', server.url).href, {'last-event-id': live.id!})
    const resumed = await again.next()
    expect(JSON.parse(resumed.data!)).to.deep.equal({chart: 'price', reset: false, rows: rows(6, 8)})
    expect(resumed.id).to.equal('0.8')
    expect((await again.next()).event).to.equal('ready')
    again.close()

    const byQuery = await openStream(new URL('api/stream?last=0.7', server.url).href)
    expect(JSON.parse((await byQuery.next()).data!)).to.deep.equal({chart: 'price', reset: false, rows: rows(8, 8)})
    byQuery.close()
  })

  it('tells pages when a chart was emptied, and streams alerts', async () => {
    price.listener!.rows(rows(1, 2))
    const stream = await openStream(new URL('api/stream', server.url).href)
    await stream.next()
    await stream.next()
    await stream.next()
    price.listener!.reset()
    expect(JSON.parse((await stream.next()).data!)).to.deep.equal({chart: 'price', reset: true, rows: []})
    server.dashboard.feedRecords([
      {t: 1, value: 2},
      {record_type: 'alert', alert: 'up', message: 'went up'},
    ])
    const alert = await stream.next()
    expect(alert.event).to.equal('alerts')
    expect(JSON.parse(alert.data!).rows).to.deep.equal([{record_type: 'alert', alert: 'up', message: 'went up'}])
    stream.close()
  })

  it('serves /api/charts, /api/series/<name>?from= and /api/alerts as JSON', async () => {
    price.listener!.rows(rows(1, 5))
    const json = <T>(path: string) => fetch(new URL(path, server.url)).then((r) => r.json() as Promise<T>)
    const charts = await json<Record<string, unknown>[]>('api/charts')
    expect(charts).to.have.length(1)
    expect(charts[0]).to.include({
      chart: 'price',
      title: 'Price',
      data: 'rows',
      rows: 5,
      seriesUrl: '/api/series/price',
    })
    expect((charts[0].fields as {time: string}).time).to.equal('t')
    const series = await json<{rows: unknown[]}>('api/series/price?from=4000')
    expect(series.rows).to.deep.equal(rows(4, 5))
    const iso = await json<{rows: unknown[]}>('api/series/price?from=1970-01-01T00:00:05Z')
    expect(iso.rows).to.deep.equal(rows(5, 5))
    expect((await fetch(new URL('api/series/price?from=soon', server.url))).status).to.equal(400)
    expect((await fetch(new URL('api/series/nope', server.url))).status).to.equal(404)
    expect(await fetch(new URL('api/alerts', server.url)).then((r) => r.json())).to.deep.equal([])
  })

  it('serves the page with a nonce CSP and its assets from the package, nothing else', async () => {
    const page = await fetch(server.url)
    const csp = page.headers.get('content-security-policy')!
    const nonce = /script-src 'nonce-([^']+)' 'strict-dynamic'/.exec(csp)?.[1]
    expect(nonce).to.be.a('string')
    expect(csp).to.include("default-src 'none'")
    const html = await page.text()
    expect(html).not.to.match(/https?:\/\//)
    expect(html).not.to.match(/\son[a-z]+=/)
    expect(html).to.include(`<script type="module" nonce="${nonce}" src="assets/dashboard/main.js">`)
    for (const path of [
      'assets/vendor/vega.min.js',
      'assets/vendor/vega-lite.min.js',
      'assets/vendor/vega-embed.min.js',
    ]) {
      const response = await fetch(new URL(path, server.url))
      expect(response.status, path).to.equal(200)
      expect(response.headers.get('content-type')).to.match(/^text\/javascript/)
      expect((await response.text()).length).to.be.greaterThan(10_000)
    }
    const css = await fetch(new URL('assets/dashboard/dashboard.css', server.url))
    expect(css.headers.get('content-type')).to.match(/^text\/css/)
    for (const path of ['assets/vendor/vega.js', 'assets/dashboard/../../package.json', 'assets/dashboard/nope.js']) {
      expect((await fetch(new URL(path, server.url))).status, path).to.equal(404)
    }
  })
})
