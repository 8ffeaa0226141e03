/**
 * The dashboard's HTTP routes, next to the image page's in chart-server.ts: the page, its assets, the event stream
 * and the JSON API for other tools (`/api/series/<name>?from=<epoch ms or ISO time>`, `/api/alerts`).
 */
import {randomBytes} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {DashboardAssets} from './dashboard-assets.js'
import type {DashboardChart, DashboardHub} from './dashboard-hub.js'
import {dashboardCsp, dashboardPageHtml} from './dashboard-page.js'

export interface DashboardRouteContext {
  hub: DashboardHub
  assets: DashboardAssets
  title: string
}

/** Answers a dashboard route; false when the path is not one (the caller goes on with its own routes). */
export function routeDashboard(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: DashboardRouteContext,
): boolean {
  const path = url.pathname
  if (path === '/' || path === '/index.html') {
    const nonce = randomBytes(16).toString('base64')
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': dashboardCsp(nonce),
      'referrer-policy': 'no-referrer',
    })
    res.end(dashboardPageHtml(ctx.title, nonce))
    return true
  }
  if (path === '/api/stream' && req.method === 'GET') {
    ctx.hub.connect(req, res, url.searchParams.get('last') ?? undefined)
    return true
  }
  if (path === '/api/alerts') {
    serveJson(res, ctx.hub.alertRows())
    return true
  }
  const series = /^\/api\/series\/([^/]+)$/.exec(path)
  if (series) return serveSeries(res, ctx.hub, decodeName(series[1]), url.searchParams.get('from'))
  if (path.startsWith('/assets/')) {
    serveAsset(res, ctx.assets, path)
    return true
  }
  return false
}

/** What /api/charts says of a chart the dashboard draws: how to draw it and where its rows are. */
export function liveChartInfo(chart: DashboardChart, base = '/') {
  return {
    chart: chart.name,
    ...(chart.title === undefined ? {} : {title: chart.title}),
    spec: chart.source.spec,
    data: chart.source.data,
    fields: chart.source.fields,
    ...(chart.source.windowMs === undefined ? {} : {windowMs: chart.source.windowMs}),
    rows: chart.feed.size,
    seriesUrl: `${base}api/series/${encodeURIComponent(chart.name)}`,
  }
}

function serveSeries(res: ServerResponse, hub: DashboardHub, name: string | undefined, from: string | null): boolean {
  const chart = name === undefined ? undefined : hub.chart(name)
  if (!chart) return false
  const since = parseFrom(from)
  if (since === undefined) {
    res.writeHead(400, {'content-type': 'text/plain; charset=utf-8'}).end('from must be epoch milliseconds or ISO\n')
    return true
  }
  const rows = chart.feed.since(chart.source.fields.time, since)
  serveJson(res, {chart: chart.name, fields: chart.source.fields, rows})
  return true
}

/** `?from=` as epoch ms: absent = everything kept; a number is epoch ms; anything else is parsed as a date. */
function parseFrom(from: string | null): number | undefined {
  if (from === null || from === '') return -Infinity
  const number = /^-?\d+(\.\d+)?$/.test(from) ? Number(from) : Date.parse(from)
  return Number.isFinite(number) ? number : undefined
}

function decodeName(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

function serveAsset(res: ServerResponse, assets: DashboardAssets, path: string): void {
  assets.get(path).then(
    (asset) => {
      if (!asset) return void res.writeHead(404, {'content-type': 'text/plain; charset=utf-8'}).end('not found\n')
      res.writeHead(200, {'content-type': asset.type, 'cache-control': 'no-cache'}).end(asset.body)
    },
    () => void res.writeHead(500, {'content-type': 'text/plain; charset=utf-8'}).end('cannot read the file\n'),
  )
}

export function serveJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, {'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache'})
  res.end(JSON.stringify(body))
}
