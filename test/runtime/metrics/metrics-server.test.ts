import {expect} from 'chai'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {Counter, Registry} from 'prom-client'
import {startMetricsServer, type MetricsServer} from '../../../src/runtime/metrics/metrics-server.js'
import type {ReadinessReport} from '../../../src/runtime/metrics/readiness.js'

describe('the metrics server (/metrics, /healthz, /readyz)', () => {
  let server: MetricsServer
  let report: ReadinessReport
  const registry = new Registry()
  new Counter({name: 'etl_test_total', help: 'a test counter', registers: [registry]}).inc(5)

  beforeEach(async () => {
    report = {ready: false, checks: {kafka: {ok: false, reason: 'Kafka does not answer: refused'}}}
    server = await startMetricsServer({registry, readiness: () => report, port: 0, host: '127.0.0.1'})
  })
  afterEach(() => server.close())

  const get = (path: string) => fetch(new URL(path, server.url))

  it('serves the registry in Prometheus text format at the URL it reports', async () => {
    expect(server.url).to.equal(`http://127.0.0.1:${server.port}/metrics`)
    const res = await get('/metrics')
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.contain('text/plain')
    expect(await res.text()).to.contain('etl_test_total 5')
  })

  it('answers /healthz while the process serves', async () => {
    const res = await get('/healthz')
    expect(res.status).to.equal(200)
    expect(await res.json()).to.deep.equal({status: 'alive'})
  })

  it('answers /readyz with 503 and the reasons, then 200 once ready', async () => {
    let res = await get('/readyz')
    expect(res.status).to.equal(503)
    expect(await res.json()).to.deep.equal(report)
    report = {ready: true, checks: {kafka: {ok: true}}}
    res = await get('/readyz')
    expect(res.status).to.equal(200)
    expect(((await res.json()) as ReadinessReport).ready).to.equal(true)
  })

  it('answers 404 elsewhere', async () => {
    expect((await get('/')).status).to.equal(404)
  })

  it('fails with ETL_METRICS_LISTEN naming the flag when the port is taken', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const {port} = taken.address() as AddressInfo
    try {
      const error = await startMetricsServer({registry, readiness: () => report, port, host: '127.0.0.1'}).then(
        () => undefined,
        (e: unknown) => e as {code: string; message: string},
      )
      expect(error?.code).to.equal('ETL_METRICS_LISTEN')
      expect(error?.message).to.contain(`port ${port} is in use; pass --metrics-port`)
    } finally {
      taken.close()
    }
  })
})
