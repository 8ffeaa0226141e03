/**
 * The real websocket source against a plain `ws` server playing a JSON feed: the subscribe messages are sent on
 * every connect, items are mapped and filtered, the feed's drops and stalls are reconnected through, and frames that
 * are not JSON or carry no items are counted, never fatal.
 */
import type {AddressInfo} from 'node:net'
import {expect} from 'chai'
import {WebSocketServer, type WebSocket} from 'ws'
import websocket from '../../../../src/plugins/source/websocket/index.js'
import {checkConfig, collectSource} from '../../../../src/testing/index.js'

const RETRY = {maxAttempts: 0, initialDelayMs: 20, maxDelayMs: 100}

interface Feed {
  url: string
  received: unknown[][]
  sockets: WebSocket[]
  /** Resolves once connection `nth` sent its subscribe messages. */
  subscribed(nth: number, messages: number): Promise<WebSocket>
  close(): Promise<void>
}

async function startFeed(): Promise<Feed> {
  const wss = new WebSocketServer({port: 0, host: '127.0.0.1'})
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const received: unknown[][] = []
  const sockets: WebSocket[] = []
  wss.on('connection', (ws) => {
    const mine: unknown[] = []
    received.push(mine)
    sockets.push(ws)
    ws.on('message', (data) => {
      const text = data.toString()
      mine.push(text.startsWith('{') ? JSON.parse(text) : text) // a string message goes out as it is
    })
  })
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    received,
    sockets,
    async subscribed(nth, messages) {
      while ((received[nth - 1]?.length ?? 0) < messages) await new Promise((resolve) => setTimeout(resolve, 5))
      return sockets[nth - 1]
    },
    async close() {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}

const trade = (t: number) => ({
  stream: 'btcusdt@trade',
  data: {e: 'trade', s: 'BTCUSDT', t, p: `${100 + t}.5`, T: 1e12 + t},
})

describe('websocket source against a plain ws feed', function () {
  this.timeout(30_000)
  let feed: Feed
  afterEach(() => feed?.close())

  const config = () => ({
    url: feed.url,
    subscribe: [{method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 1}, 'hello'],
    records: 'data',
    filter: "e == 'trade'",
    fields: {symbol: "'BTC'", price_usdt: 'number(p)', trade_id: 't', timestamp: 'T'},
    key: 'symbol',
    stallTimeout: '500ms',
    flushInterval: '20ms',
  })

  it('subscribes on every connect, maps items, and reconnects through a drop and a stall', async () => {
    feed = await startFeed()
    const running = collectSource(websocket, config(), {retry: RETRY, clock: undefined, records: 30, timeoutMs: 20_000})
    const first = await feed.subscribed(1, 2)
    for (let t = 1; t <= 10; t++) first.send(JSON.stringify(trade(t)))
    first.send(JSON.stringify({result: null, id: 1})) // the ack: nothing at the records path
    first.send(JSON.stringify({stream: 'btcusdt@kline_1m', data: {e: 'kline'}})) // filtered out
    first.send('{"stream": "btcusdt@trade", "data": {') // truncated
    await new Promise((resolve) => setTimeout(resolve, 100))
    first.terminate()
    const second = await feed.subscribed(2, 2)
    for (let t = 11; t <= 20; t++) second.send(JSON.stringify(trade(t)))
    // then silence on an open connection: the watchdog must reconnect
    const third = await feed.subscribed(3, 2)
    for (let t = 21; t <= 30; t++) third.send(JSON.stringify(trade(t)))
    const run = await running
    expect(run.ended).to.equal('condition')
    expect(run.records.map((r) => r.trade_id)).to.deep.equal(Array.from({length: 30}, (_, i) => i + 1))
    expect(run.records[0]).to.deep.equal({
      symbol: 'BTC',
      price_usdt: 101.5,
      trade_id: 1,
      timestamp: new Date(1e12 + 1).toISOString(),
    })
    expect(feed.received[0]).to.deep.equal([{method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 1}, 'hello'])
    expect(feed.received[2]).to.deep.equal(feed.received[0])
    expect(run.counts.get('ignored_message')).to.equal(1)
    expect(run.counts.get('filtered_out')).to.equal(1)
    expect(run.counts.get('ws_malformed')).to.equal(1)
    expect(run.counts.get('ws_stall')).to.equal(1)
    expect(run.checkpoint).to.equal(undefined) // a generic feed cannot be resumed: no checkpoint is claimed
  })

  it('reports a bad filter, field and url statically', async () => {
    const issues = await checkConfig(websocket, {url: 'ws://x', fields: {a: 'max('}, filter: "e = 'trade'"})
    expect(issues.map((issue) => issue.path.join('.'))).to.deep.equal(['fields.a', 'filter'])
    const http = await checkConfig(websocket, {url: 'http://x', fields: {a: 'a'}})
    expect(http.map((issue) => issue.path.join('.'))).to.deep.equal(['url'])
  })
})
