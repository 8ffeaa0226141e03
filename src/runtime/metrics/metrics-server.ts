/**
 * The HTTP side of `etl run --metrics`: /metrics in Prometheus' text format, /healthz (the process is alive and
 * serving), /readyz (readiness.ts; 503 with the reasons when not ready) and /tap (the records of a step, for `etl tap`
 * and `etl top`; src/runtime/tap/). node:http only; it binds to 127.0.0.1
 * unless told otherwise, as the chart page does, since a run's metrics are nobody else's business by default.
 */
import {listen} from '../listen.js'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Registry} from 'prom-client'
import {EtlError, messageOf} from '../errors.js'
import {serveTap} from '../tap/tap-endpoint.js'
import type {TapHub} from '../tap/tap-hub.js'
import type {ReadinessReport} from './readiness.js'

export interface MetricsServerInputs {
  registry: Registry
  readiness: () => ReadinessReport
  port: number
  host: string
  /** Where the process stage runs here: /tap streams the records of a step or sink (src/runtime/tap/). */
  tap?: TapHub
}

export interface MetricsServer {
  url: string
  port: number
  close(): Promise<void>
}

export async function startMetricsServer(inputs: MetricsServerInputs): Promise<MetricsServer> {
  const server = createServer((req, res) => void route(inputs, req, res))
  await listen(server, inputs.port, inputs.host, listenFailure(inputs.port, inputs.host))
  const port = (server.address() as AddressInfo).port
  const host = inputs.host.includes(':') ? `[${inputs.host}]` : inputs.host
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function route(inputs: MetricsServerInputs, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n')
  try {
    if (path === '/metrics') {
      return send(res, 200, inputs.registry.contentType, await inputs.registry.metrics())
    }
    if (path === '/tap') return serveTap(inputs.tap, inputs.host, req, res)
    if (path === '/healthz') return sendJson(res, 200, {status: 'alive'})
    if (path === '/readyz') {
      const report = inputs.readiness()
      return sendJson(res, report.ready ? 200 : 503, report)
    }
    send(res, 404, 'text/plain', 'not found: try /metrics, /healthz, /readyz or /tap\n')
  } catch (error) {
    send(res, 500, 'text/plain', `${messageOf(error)}\n`)
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`)
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
  res.end(body)
}

/** Why the endpoint could not listen, naming the flag to change. */
function listenFailure(port: number, host: string): (error: NodeJS.ErrnoException) => EtlError {
  return (error) => {
    const why =
      error.code === 'EADDRINUSE'
        ? `port ${port} is in use; pass --metrics-port <other port> (0 = any free port)`
        : error.code === 'EACCES'
          ? `port ${port} needs privileges etl does not have; pass --metrics-port <port above 1023>`
          : error.message
    return new EtlError('ETL_METRICS_LISTEN', `metrics endpoint on ${host}:${port}: ${why}`, {cause: error})
  }
}
