import {expect} from 'chai'
import {Registry} from 'prom-client'
import {startMetricsServer, type MetricsServer} from '../../../src/runtime/metrics/metrics-server.js'
import {messageKeyOf} from '../../../src/runtime/stages/message-key.js'
import {isLoopback} from '../../../src/runtime/tap/tap-endpoint.js'
import {streamTap} from '../../../src/runtime/tap/tap-client.js'
import {TapHub, type TapEvent} from '../../../src/runtime/tap/tap-hub.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('the tap (/tap on the metrics server, read by streamTap)', () => {
  let server: MetricsServer
  let hub: TapHub
  const ready = {ready: true, checks: {}}

  beforeEach(async () => {
    hub = new TapHub({steps: 2, sinks: ['csv', 'alerts']}, messageKeyOf('symbol'))
    server = await startMetricsServer({
      registry: new Registry(),
      readiness: () => ready,
      port: 0,
      host: '127.0.0.1',
      tap: hub,
    })
  })
  afterEach(() => server.close())
  const base = () => `http://127.0.0.1:${server.port}`

  /** Waits until the hub has a client: the stage publishes nothing before. */
  async function connected(): Promise<void> {
    for (let i = 0; i < 100 && !hub.active; i++) await sleep(10)
    expect(hub.active, 'a tap client connected').to.equal(true)
  }

  it('is inactive without a client, streams only the watched step, and ends at its limit', async () => {
    expect(hub.active).to.equal(false)
    const events: TapEvent[] = []
    const done = streamTap({
      base: base(),
      point: {step: 1},
      limit: 3,
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    })
    await connected()
    hub.step(0, [{symbol: 'NOT', at: 'step 0'}], 0)
    hub.step(
      1,
      [
        {symbol: 'BTC', n: 1},
        {symbol: 'ETH', n: 2},
      ],
      1,
    )
    hub.sink('csv', [{symbol: 'NOT', at: 'sink'}], 1)
    hub.step(
      1,
      [
        {symbol: 'BTC', n: 3},
        {symbol: 'BTC', n: 4},
      ],
      0,
    )
    await done
    expect(events).to.deep.equal([
      {partition: 1, key: 'BTC', record: {symbol: 'BTC', n: 1}},
      {partition: 1, key: 'ETH', record: {symbol: 'ETH', n: 2}},
      {partition: 0, key: 'BTC', record: {symbol: 'BTC', n: 3}},
    ])
    for (let i = 0; i < 100 && hub.active; i++) await sleep(10)
    expect(hub.active, 'detached after its limit').to.equal(false)
  })

  it('streams what a sink is given; the last step by default', async () => {
    const stop = new AbortController()
    const sinkEvents: TapEvent[] = []
    const lastEvents: TapEvent[] = []
    const sink = streamTap({
      base: base(),
      point: {sink: 'alerts'},
      signal: stop.signal,
      onEvent: (e) => sinkEvents.push(e),
    })
    const last = streamTap({base: base(), signal: stop.signal, onEvent: (e) => lastEvents.push(e)})
    await connected()
    await sleep(200) // the second client too
    hub.sink('alerts', [{symbol: 'BTC', alert: true}], 2)
    hub.sink('csv', [{symbol: 'BTC', alert: false}], 2)
    hub.step(2, [{symbol: 'ETH', last: true}], 0)
    hub.step(1, [{symbol: 'ETH', last: false}], 0)
    await sleep(200)
    stop.abort()
    await Promise.all([sink, last])
    expect(sinkEvents.map((e) => e.record)).to.deep.equal([{symbol: 'BTC', alert: true}])
    expect(lastEvents.map((e) => e.record)).to.deep.equal([{symbol: 'ETH', last: true}])
  })

  it('refuses a place the pipeline does not have, with the reason', async () => {
    const signal = new AbortController().signal
    const refused = (point: {step: number} | {sink: string}) =>
      streamTap({base: base(), point, signal, onEvent: () => undefined}).then(
        () => expect.fail('no refusal'),
        (error: {code: string; message: string}) => `${error.code}: ${error.message}`,
      )
    expect(await refused({step: 3})).to.match(
      /^ETL_TAP_REFUSED: .*step 3: the pipeline has steps 0 \(as consumed\) to 2$/,
    )
    expect(await refused({sink: 'nope'})).to.match(/sink nope: the pipeline's sinks are csv, alerts$/)
    const res = await fetch(`${base()}/tap?step=1&sink=csv`)
    expect(res.status).to.equal(400)
  })

  it('drops records for a client that reads slower than they come, and says how many', async () => {
    const sent: string[] = []
    let busy = false
    hub.attach({point: {step: 2}, ready: () => !busy, send: (line) => (sent.push(line), true)})
    hub.step(2, [{symbol: 'A'}], 0)
    busy = true
    hub.step(2, [{symbol: 'B'}, {symbol: 'C'}], 0)
    busy = false
    hub.step(2, [{symbol: 'D'}], 0)
    expect(sent.map((line) => JSON.parse(line) as TapEvent)).to.deep.equal([
      {partition: 0, key: 'A', record: {symbol: 'A'}},
      {partition: 0, key: 'D', record: {symbol: 'D'}, dropped: 2},
    ])
  })

  it('is served on loopback addresses only', async () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).to.deep.equal([true, true, true, true])
    expect(['0.0.0.0', '::', '10.0.0.5'].map(isLoopback)).to.deep.equal([false, false, false])
    await server.close()
    server = await startMetricsServer({
      registry: new Registry(),
      readiness: () => ready,
      port: 0,
      host: '0.0.0.0',
      tap: hub,
    })
    const res = await fetch(`${base()}/tap`)
    expect(res.status).to.equal(403)
    expect(await res.text()).to.include('loopback addresses only')
  })
})
