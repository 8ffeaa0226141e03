import {expect} from 'chai'
import {connect} from 'node:net'
import {Script} from 'node:vm'
import {
  chartNameFromPath,
  startChartServer,
  type ChartServer,
  type ChartUpdate,
} from '../../../src/runtime/charts/chart-server.js'
import type {Logger} from '../../../src/runtime/logger.js'

interface LogLine {
  level: string
  message: string
  fields?: Record<string, unknown>
}

function captureLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    debug: (message, fields) => lines.push({level: 'debug', message, fields}),
    info: (message, fields) => lines.push({level: 'info', message, fields}),
    warn: (message, fields) => lines.push({level: 'warn', message, fields}),
    error: (message, fields) => lines.push({level: 'error', message, fields}),
    child: () => logger,
  }
  return logger
}

function update(chart: string, latest: number, svgMark = 'a'): ChartUpdate {
  return {
    chart,
    svg:
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">' +
      `<path d="M0 20L40 0"/><text>${svgMark}</text></svg>`,
    summary: [
      {
        series: 'bitcoin',
        latest,
        change: latest - 112017.21,
        changePct: ((latest - 112017.21) / 112017.21) * 100,
        at: '2025-09-24T00:00:00.000Z',
      },
    ],
    renderedAt: '2025-09-24T00:00:01.000Z',
    points: 5,
    renderedPoints: 5,
  }
}

interface SseEvent {
  event?: string
  data?: string
  retry?: string
}

/** A minimal SSE reader over fetch, so the tests see exactly what a browser's EventSource would parse. */
async function openEvents(url: string) {
  const controller = new AbortController()
  const response = await fetch(new URL('events', url), {signal: controller.signal})
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const next = async (): Promise<SseEvent | undefined> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: SseEvent = {}
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue
          const [key, ...rest] = line.split(':')
          ;(event as Record<string, string>)[key] = rest.join(':').replace(/^ /, '')
        }
        return event
      }
      const {value, done} = await reader.read()
      if (done) return undefined
      buffer += value
    }
  }
  return {response, next, close: () => controller.abort()}
}

describe('chart server', () => {
  let server: ChartServer
  let logs: LogLine[]

  beforeEach(async () => {
    logs = []
    server = await startChartServer({port: 0, logger: captureLogger(logs), title: 'btc <live> & "co"'})
  })
  afterEach(() => server.close())

  it('listens on 127.0.0.1 and reports its url and port', () => {
    expect(server.port).to.be.greaterThan(0)
    expect(server.url).to.equal(`http://127.0.0.1:${server.port}/`)
  })

  it('serves the image page at /images, self-contained, title escaped, with a nonce-locked CSP', async () => {
    const response = await fetch(new URL('images', server.url))
    expect(response.status).to.equal(200)
    expect(response.headers.get('content-type')).to.match(/^text\/html/)
    const html = await response.text()
    expect(html).to.include('btc &#60;live&#62; &#38; &#34;co&#34;')
    expect(html).not.to.include('<live>')
    expect(html).not.to.match(/https?:\/\//)
    const nonce = /script-src 'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1]
    expect(nonce).to.be.a('string')
    expect(html).to.include(`<script nonce="${nonce}">`)
    const again = await fetch(new URL('images', server.url)).then((r) => r.headers.get('content-security-policy'))
    expect(again).not.to.include(nonce)
  })

  it('ships image page JavaScript that parses', async () => {
    const html = await fetch(new URL('images', server.url)).then((r) => r.text())
    const code = /<script nonce="[^"]+">([\s\S]*)<\/script>/.exec(html)?.[1]
    expect(code).to.include('EventSource')
    expect(() => new Script(code!)).not.to.throw()
  })

  it('serves the latest SVG of a chart under its URL-encoded name', async () => {
    const name = 'btc / usd ü#1'
    server.publish(update(name, 112017.21, 'first'))
    server.publish(update(name, 113700.11, 'second'))
    const response = await fetch(new URL(`charts/${encodeURIComponent(name)}.svg`, server.url))
    expect(response.status).to.equal(200)
    expect(response.headers.get('content-type')).to.match(/^image\/svg\+xml/)
    expect(response.headers.get('cache-control')).to.include('no-cache')
    expect(response.headers.get('content-security-policy')).to.include("default-src 'none'")
    expect(await response.text()).to.include('<text>second</text>')
  })

  it('lists the latest updates without their SVG at /api/charts', async () => {
    expect(await fetch(new URL('api/charts', server.url)).then((r) => r.json())).to.deep.equal([])
    server.publish(update('btc', 112017.21))
    server.publish(update('eth', 4100.5))
    server.publish(update('btc', 113700.11))
    const charts = (await fetch(new URL('api/charts', server.url)).then((r) => r.json())) as (ChartUpdate & {
      svgUrl: string
    })[]
    expect(charts.map((c) => [c.chart, c.summary[0].latest])).to.deep.equal([
      ['btc', 113700.11],
      ['eth', 4100.5],
    ])
    expect(charts[0]).not.to.have.property('svg')
    expect(charts[0].svgUrl).to.equal('/charts/btc.svg')
  })

  it('answers 404 without echoing the request, and 405 for other methods', async () => {
    server.publish(update('btc', 1))
    for (const path of ['nope', 'charts/eth.svg', 'charts/%E0%A4%A.svg', '%3Cscript%3Ealert(1)%3C/script%3E']) {
      const response = await fetch(new URL(path, server.url))
      expect(response.status, path).to.equal(404)
      expect(await response.text()).to.equal('not found\n')
    }
    const raw = await rawRequest(server.port, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(raw).to.match(/^HTTP\/1.1 404 /)
    const post = await fetch(server.url, {method: 'POST', body: 'x'})
    expect(post.status).to.equal(405)
    await post.text()
  })

  it('sends the latest update of every chart on connect, then each new publish', async () => {
    server.publish(update('btc', 112017.21, 'old'))
    server.publish(update('eth', 4100.5))
    server.publish(update('btc', 113700.11, 'new'))
    const events = await openEvents(server.url)
    try {
      expect(events.response.headers.get('content-type')).to.match(/^text\/event-stream/)
      expect(await events.next()).to.deep.equal({retry: '2000'})
      const first = await events.next()
      expect(first?.event).to.equal('chart')
      expect(JSON.parse(first!.data!)).to.deep.equal(update('btc', 113700.11, 'new'))
      expect(JSON.parse((await events.next())!.data!).chart).to.equal('eth')
      const next = update('btc', 114000.5, 'line one\nline two </script>')
      server.publish(next)
      const live = await events.next()
      expect(live?.event).to.equal('chart')
      expect(JSON.parse(live!.data!)).to.deep.equal(next)
    } finally {
      events.close()
    }
  })

  it('forgets a page once it disconnects', async () => {
    const events = await openEvents(server.url)
    await events.next()
    expect(logs.at(-1)).to.deep.include({message: 'live chart page connected', fields: {pages: 1}})
    events.close()
    await waitFor(() => logs.some((l) => l.message === 'live chart page disconnected' && l.fields?.pages === 0))
    server.publish(update('btc', 1))
  })

  it('rejects with a clear message when the port is busy', async () => {
    let error: unknown
    try {
      const second = await startChartServer({port: server.port, logger: captureLogger([])})
      await second.close()
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(Error)
    expect((error as Error).message).to.equal(`port ${server.port} is in use; pass --serve <other port>`)
  })

  it('close() ends open event streams and stops listening, promptly', async () => {
    const events = await openEvents(server.url)
    await events.next()
    // A close that waited for the stream (its next heartbeat is 15 s away) would hit the test timeout instead.
    await server.close()
    const end = await events.next().catch(() => undefined)
    expect(end).to.equal(undefined)
    let refused = false
    await fetch(server.url).catch(() => (refused = true))
    expect(refused).to.equal(true)
    server.publish(update('btc', 1))
    await server.close()
  })

  it('parses chart paths strictly', () => {
    expect(chartNameFromPath('/charts/a%20b.svg')).to.equal('a b')
    expect(chartNameFromPath('/charts/.svg')).to.equal(undefined)
    expect(chartNameFromPath('/charts/%ZZ.svg')).to.equal(undefined)
    expect(chartNameFromPath('/other/a.svg')).to.equal(undefined)
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Sends bytes fetch would refuse to send (a malformed request target) and returns the raw response. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let response = ''
    const socket = connect(port, '127.0.0.1', () => socket.end(request))
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk))
    socket.on('end', () => resolve(response)).on('error', reject)
  })
}
