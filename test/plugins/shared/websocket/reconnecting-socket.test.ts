/**
 * ReconnectingSocket against a real local `ws` server: subscribe on every connection, messages in order, reconnect
 * after a close and after a silent stall (the server keeps pinging but sends no data), malformed frames counted and
 * skipped, reconnect() at once, attempts bounded by retry.maxAttempts, the connect budget, and shutdown.
 */
import type {AddressInfo} from 'node:net'
import {expect} from 'chai'
import {WebSocketServer, type WebSocket} from 'ws'
import {ConnectBudget} from '../../../../src/plugins/shared/websocket/connect-budget.js'
import {
  ReconnectingSocket,
  type ReconnectingSocketOptions,
  type SocketClose,
} from '../../../../src/plugins/shared/websocket/index.js'
import {testContext, type TestContext} from '../../../support/plugin-context.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await pause(10)
  }
}

interface Server {
  url: string
  wss: WebSocketServer
  /** Connections in the order they came, with what each client sent. */
  clients: {socket: WebSocket; received: string[]; path: string}[]
  close(): Promise<void>
}

async function startServer(onConnection?: (socket: WebSocket, index: number) => void): Promise<Server> {
  const wss = new WebSocketServer({port: 0, host: '127.0.0.1'})
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const clients: Server['clients'] = []
  wss.on('connection', (socket, request) => {
    const entry = {socket, received: [] as string[], path: request.url ?? ''}
    clients.push(entry)
    socket.on('message', (data) => entry.received.push(String(data)))
    onConnection?.(socket, clients.length - 1)
  })
  const {port} = wss.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    wss,
    clients,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  }
}

describe('ReconnectingSocket (against a real ws server)', function () {
  this.timeout(20_000)
  let server: Server | undefined
  let test: TestContext
  let running: Promise<void> | undefined
  let controller: AbortController

  beforeEach(() => {
    test = testContext()
    controller = new AbortController()
  })
  afterEach(async () => {
    controller.abort()
    await running?.catch(() => undefined)
    running = undefined
    await server?.close()
    server = undefined
  })

  function start(options: Partial<ReconnectingSocketOptions> & Pick<ReconnectingSocketOptions, 'onMessage'>) {
    const socket = new ReconnectingSocket({
      describe: 'test feed',
      url: server!.url,
      context: test.context,
      signal: controller.signal,
      ...options,
    })
    running = socket.run()
    return socket
  }

  it('sends the subscribe messages on every connection and hands messages over in order, parsed', async () => {
    server = await startServer((socket, index) => {
      socket.on('message', () => {
        for (let i = 0; i < 3; i++) socket.send(JSON.stringify({connection: index, n: i}))
        if (index === 0) setTimeout(() => socket.close(1001, 'going away'), 20)
      })
    })
    const got: unknown[] = []
    const closes: SocketClose[] = []
    start({
      subscribe: () => ['{"op":"sub"}', {method: 'SUBSCRIBE', params: ['a'], id: 1}],
      onMessage: (message) => void got.push(message),
      onClose: (close) => void closes.push(close),
    })
    await until('two connections of data', () => got.length >= 12)
    expect(server.clients.map((c) => c.received)).to.deep.equal([
      ['{"op":"sub"}', '{"method":"SUBSCRIBE","params":["a"],"id":1}'],
      ['{"op":"sub"}', '{"method":"SUBSCRIBE","params":["a"],"id":1}'],
    ])
    // Each of the two subscribe frames was answered with 3 messages; the order within a connection is kept.
    expect(got.slice(0, 6)).to.deep.equal([0, 1, 2, 0, 1, 2].map((n) => ({connection: 0, n})))
    expect(got.slice(6, 12)).to.deep.equal([0, 1, 2, 0, 1, 2].map((n) => ({connection: 1, n})))
    expect(closes[0]).to.include({connection: 1, cause: 'closed', code: 1001, reason: 'going away', messages: 6})
    expect(test.counts.get('ws_reconnect')).to.equal(1)
    expect(test.counts.get('ws_connect')).to.equal(2)
  })

  it('detects a stall (pings go on, data stops, no close frame) and reconnects', async () => {
    server = await startServer((socket, index) => {
      socket.send(JSON.stringify({hello: index}))
      // The first connection goes silent but keeps pinging, as stalled exchange feeds do.
      const pinger = setInterval(() => socket.ping(), 50)
      socket.on('close', () => clearInterval(pinger))
    })
    const got: unknown[] = []
    const closes: SocketClose[] = []
    const started = Date.now()
    start({stallTimeoutMs: 400, onMessage: (m) => void got.push(m), onClose: (c) => void closes.push(c)})
    await until('the second connection', () => got.length >= 2)
    expect(got).to.deep.equal([{hello: 0}, {hello: 1}])
    expect(Date.now() - started).to.be.at.least(400)
    expect(closes[0].cause).to.equal('stall')
    expect(closes[0].reason).to.match(/no data for \d+ ms/)
    expect(test.counts.get('ws_stall')).to.equal(1)
    expect(test.logs.join('\n')).to.match(/connection 1 ended \(stall: no data/)
  })

  it('counts and skips frames that are not JSON, and goes on with the next ones', async () => {
    server = await startServer((socket) => {
      socket.send('{"n":1}')
      socket.send('{"n":')
      socket.send('<html>oops</html>')
      socket.send(Buffer.from('{"n":2}'), {binary: true})
    })
    const got: unknown[] = []
    start({onMessage: (m) => void got.push(m)})
    await until('both good messages', () => got.length >= 2)
    expect(got).to.deep.equal([{n: 1}, {n: 2}])
    expect(test.counts.get('ws_malformed')).to.equal(2)
    expect(test.logs.join('\n')).to.include('<html>oops</html>')
    expect(test.counts.get('ws_reconnect') ?? 0).to.equal(0)
  })

  it('reconnect() drops the connection and connects again at once, with the reason', async () => {
    server = await startServer((socket, index) => socket.send(JSON.stringify({index})))
    const closes: SocketClose[] = []
    const socket = start({
      context: {...test.context, retry: {maxAttempts: 0, initialDelayMs: 5000, maxDelayMs: 5000}},
      onMessage: () => undefined,
      onClose: (c) => void closes.push(c),
    })
    await until('the first connection', () => socket.connected)
    const asked = Date.now()
    socket.reconnect('server shutdown notice')
    await until('the second connection', () => server!.clients.length === 2)
    expect(Date.now() - asked, 'no backoff wait').to.be.below(2000)
    expect(closes[0]).to.include({cause: 'requested', reason: 'server shutdown notice'})
  })

  it('backs off while the server refuses, and fails after retry.maxAttempts empty connections', async () => {
    server = await startServer((socket) => socket.close(1013, 'try again later'))
    const closes: SocketClose[] = []
    const socket = new ReconnectingSocket({
      describe: 'test feed',
      url: server.url,
      context: {...test.context, retry: {maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 100}},
      signal: controller.signal,
      onMessage: () => undefined,
      onClose: (c) => void closes.push(c),
    })
    const started = Date.now()
    let error: unknown
    await socket.run().catch((e: unknown) => (error = e))
    expect(error).to.include({code: 'ETL_SOURCE_HTTP'})
    expect((error as Error).message).to.match(/3 connection\(s\) in a row delivered no data.*code 1013/)
    expect(closes.map((c) => c.code)).to.deep.equal([1013, 1013, 1013])
    // Two waits of 50–100 ms (jittered) between the three attempts.
    expect(Date.now() - started).to.be.at.least(100)
  })

  it('stops on abort with a close frame, after the hooks already queued', async () => {
    let closedWith: number | undefined
    server = await startServer((socket) => {
      socket.on('close', (code) => (closedWith = code))
      socket.send('{"n":1}')
    })
    const got: unknown[] = []
    start({onMessage: async (m) => (await pause(50), void got.push(m))})
    await until('connected', () => server!.clients.length === 1)
    await pause(20)
    controller.abort()
    await running
    expect(got).to.deep.equal([{n: 1}])
    await until('the server saw the close', () => closedWith !== undefined)
    expect(closedWith).to.equal(1000)
  })

  it('a hook that throws stops the socket and run() rejects with its error', async () => {
    server = await startServer((socket) => socket.send('{"n":1}'))
    start({
      onMessage: () => {
        throw new Error('cannot go on')
      },
    })
    let error: unknown
    await running!.catch((e: unknown) => (error = e))
    expect((error as Error).message).to.equal('cannot go on')
  })

  it('pings the server when asked and reconnects when no pong comes back', async () => {
    server = await startServer((socket, index) => {
      socket.send(JSON.stringify({index}))
      // The first connection never answers pings: autoPong is off for it.
      if (index === 0) (socket as unknown as {_autoPong: boolean})._autoPong = false
    })
    const closes: SocketClose[] = []
    start({pingIntervalMs: 100, stallTimeoutMs: 0, onMessage: () => undefined, onClose: (c) => void closes.push(c)})
    await until('the second connection', () => server!.clients.length === 2)
    expect(closes[0].cause).to.equal('pong-timeout')
  })
})

describe('ConnectBudget', () => {
  it('allows perMinute attempts in any 60 s, then says how long to wait', async () => {
    let now = 1_000_000
    const budget = new ConnectBudget(3, () => now)
    const signal = new AbortController().signal
    for (let i = 0; i < 3; i++) {
      expect(budget.waitMs()).to.equal(0)
      await budget.take(signal)
      now += 1000
    }
    expect(budget.waitMs()).to.equal(57_000)
    now += 57_000
    expect(budget.waitMs()).to.equal(0)
  })
})
