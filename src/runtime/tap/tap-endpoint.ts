/**
 * GET /tap on the metrics server: `?step=N` or `?sink=name` (default: the last step), `&limit=N`; answers with NDJSON,
 * one TapEvent (tap-hub.ts) per line, for as long as the client stays (or until its limit). Records are data, not
 * metrics, so the tap is served only when the endpoint binds to a loopback address: a run exposing /metrics to the
 * network does not expose its records with them.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {TapHub, TapPoint} from './tap-hub.js'

export const TAP_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8'

/** Whether `host` (as the server binds to it) only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The place and limit a /tap URL asks for, or the reason it is not one. */
export function tapRequest(hub: TapHub, search: URLSearchParams): {point: TapPoint; limit?: number} | string {
  const step = search.get('step')
  const sink = search.get('sink')
  if (step !== null && sink !== null) return 'pass step or sink, not both'
  const point: TapPoint = sink === null ? {step: step === null ? hub.places.steps : Number(step)} : {sink}
  const problem = hub.problemWith(point)
  if (problem) return problem
  const limitText = search.get('limit')
  if (limitText === null) return {point}
  const limit = Number(limitText)
  if (!Number.isInteger(limit) || limit < 1) return `limit ${limitText}: a whole number of at least 1`
  return {point, limit}
}

/** Serves one tap client until it disconnects or has its limit. */
export function serveTap(hub: TapHub | undefined, host: string, req: IncomingMessage, res: ServerResponse): void {
  if (!hub) return refuse(res, 404, 'this process runs no process stage: tap the process that does')
  if (!isLoopback(host)) {
    return refuse(res, 403, `the tap is served on loopback addresses only (this endpoint binds to ${host})`)
  }
  const asked = tapRequest(hub, new URL(req.url ?? '/', 'http://tap').searchParams)
  if (typeof asked === 'string') return refuse(res, 400, asked)
  res.writeHead(200, {'content-type': TAP_CONTENT_TYPE, 'cache-control': 'no-store'})
  res.flushHeaders()
  let left = asked.limit ?? Infinity
  const detach = hub.attach({
    point: asked.point,
    ready: () => !res.writableNeedDrain,
    send: (line) => {
      res.write(line)
      left--
      if (left > 0) return true
      detach()
      res.end()
      return false
    },
  })
  res.on('close', detach)
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store'})
  res.end(`${message}\n`)
}
