/**
 * The small local web server behind `etl chart --serve`: at / the live dashboard (charts drawn in the browser by Vega
 * from the rows, see dashboard/), at /images the page of the latest server-rendered image of every chart, each new
 * one pushed over Server-Sent Events. node:http only; it binds to 127.0.0.1 by default because the page is meant for
 * the person running etl, not the network.
 */
import {listen} from '../listen.js'
import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {Logger} from '../logger.js'
import type {SeriesSummary} from '../plugin-types.js'
import {chartPageHtml} from './chart-page.js'
import {AlertTail} from './dashboard/alert-tail.js'
import {DashboardAssets} from './dashboard/dashboard-assets.js'
import {DashboardHub} from './dashboard/dashboard-hub.js'
import {liveChartInfo, routeDashboard, serveJson} from './dashboard/dashboard-routes.js'
import {siteIndexHtml} from './site-index.js'

export interface ChartUpdate {
  chart: string
  title?: string
  svg: string
  summary: SeriesSummary[]
  renderedAt: string
  points: number
  renderedPoints: number
}

export interface ChartServer {
  url: string
  port: number
  publish(update: ChartUpdate): void
  /** The dashboard's rows and alerts (ChartRunner attaches the charts, the run feeds the alert records). */
  dashboard: DashboardHub
  close(): Promise<void>
}

export interface ChartServerOptions {
  /** 0 picks a free port; default 8780. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  logger: Logger
  /** Shown in the page header (the pipeline name). */
  title?: string
  /** A CSV the pipeline appends its alert records to: the dashboard's alerts panel follows it. */
  alertsCsv?: string
}

export const DEFAULT_CHART_PORT = 8780
const HEARTBEAT_MS = 15_000
/**
 * A page that stops reading is dropped beyond this much queued output; it reconnects and gets the latest state again.
 */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024

interface Latest {
  update: ChartUpdate
  /** The SSE frame, serialised once per publish and reused for every page that connects later. */
  frame: string
}

/** One pipeline's pages on a chart site: its name (its URL path when the site serves several), title and alerts. */
export interface ChartSitePipeline {
  name: string
  /** Shown in the page header; default the name. */
  title?: string
  /** Shown on the site's index page. */
  description?: string
  /** A CSV the pipeline appends its alert records to: the dashboard's alerts panel follows it. */
  alertsCsv?: string
}

export interface ChartSiteOptions extends Omit<ChartServerOptions, 'title' | 'alertsCsv'> {
  pipelines: ChartSitePipeline[]
}

/** One server for several pipelines: each one's pages at `/<name>/`, an index of them at `/`. */
export interface ChartSite {
  url: string
  port: number
  /** Per pipeline name: its pages, to publish renders and attach its charts to (their close() closes the site). */
  pipelines: Map<string, ChartServer>
  close(): Promise<void>
}

export async function startChartServer(options: ChartServerOptions): Promise<ChartServer> {
  const name = options.title ?? 'etl charts'
  const site = await startChartSite({...options, pipelines: [{name, alertsCsv: options.alertsCsv}]})
  return site.pipelines.get(name)!
}

/**
 * Serves the pipelines' pages. A single pipeline's are at the root, as `etl chart --serve` always served them; with
 * several, each pipeline's dashboard, image page and API sit under `/<name>/` (every URL the pages use is relative),
 * so each can be linked, and `/` lists them.
 */
export async function startChartSite(options: ChartSiteOptions): Promise<ChartSite> {
  const port = options.port ?? DEFAULT_CHART_PORT
  const host = options.host ?? '127.0.0.1'
  const router = new SiteRouter(options.pipelines, options.logger)
  const server = createServer((req, res) => router.route(req, res))
  await listen(server, port, host, listenFailure(port, host))
  const actualPort = (server.address() as AddressInfo).port
  const url = `http://${urlHost(host)}:${actualPort}/`
  options.logger.debug('live chart page listening', {url})

  // A comment line every 15 s keeps proxies and idle-connection killers from closing a quiet stream.
  const heartbeat = setInterval(() => router.heartbeat(), HEARTBEAT_MS)
  heartbeat.unref()
  router.start()

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(heartbeat)
      router.endAll()
      server.close(() => resolve())
      // Without this an idle keep-alive socket (a page's last image request) holds close() open for seconds.
      server.closeAllConnections()
    })
    return closing
  }
  const pipelines = new Map<string, ChartServer>()
  for (const mount of router.mounts.values()) {
    pipelines.set(mount.name, {
      url: new URL(mount.base, url).href,
      port: actualPort,
      publish(update) {
        if (!closing) mount.pages.publish(update)
      },
      dashboard: mount.hub,
      close,
    })
  }
  return {url, port: actualPort, pipelines, close}
}

/** One pipeline's pages on the site: where they are, their live state and the alerts tail feeding its dashboard. */
interface Mount {
  name: string
  description?: string
  /** `/` for a site of one pipeline, else `/<encoded name>/`. */
  base: string
  hub: DashboardHub
  pages: LivePages
  alerts?: AlertTail
}

/** Sends each request to its pipeline's pages (by the first path segment when there are several), or the index. */
class SiteRouter {
  readonly mounts = new Map<string, Mount>()
  private readonly assets = new DashboardAssets()

  constructor(
    pipelines: ChartSitePipeline[],
    private readonly logger: Logger,
  ) {
    const several = pipelines.length > 1
    for (const pipeline of pipelines) {
      if (this.mounts.has(pipeline.name)) throw new Error(`two pipelines are named "${pipeline.name}"`)
      const hub = new DashboardHub(logger)
      const base = several ? `/${encodeURIComponent(pipeline.name)}/` : '/'
      const title = pipeline.title ?? pipeline.name
      const alerts = pipeline.alertsCsv === undefined ? undefined : new AlertTail(pipeline.alertsCsv, hub, logger)
      const pages = new LivePages(title, base, logger, hub, this.assets)
      this.mounts.set(pipeline.name, {name: pipeline.name, description: pipeline.description, base, hub, pages, alerts})
    }
  }

  start(): void {
    for (const mount of this.mounts.values()) mount.alerts?.start()
  }

  heartbeat(): void {
    for (const {pages, hub} of this.mounts.values()) {
      pages.heartbeat()
      hub.heartbeat()
    }
  }

  endAll(): void {
    for (const {pages, hub, alerts} of this.mounts.values()) {
      void alerts?.stop()
      pages.endAll()
      hub.endAll()
    }
  }

  route(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('x-content-type-options', 'nosniff')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8'}).end('method not allowed\n')
      return
    }
    // The path is parsed, never echoed back: 404 bodies are fixed text so nothing from the request reaches a page.
    const url = requestUrl(req.url)
    if (this.mounts.size === 1) return [...this.mounts.values()][0]!.pages.route(req, res, url)
    const path = url?.pathname ?? ''
    if (path === '/' || path === '/index.html') return serveIndex(res, [...this.mounts.values()])
    const match = /^\/([^/]+)(\/.*)?$/.exec(path)
    const mount = match ? this.mounts.get(decodeSegment(match[1]!) ?? '') : undefined
    if (!mount) return notFound(res)
    // The pages' URLs are relative: they need the trailing slash.
    if (match![2] === undefined) return void res.writeHead(308, {location: mount.base}).end()
    mount.pages.route(req, res, new URL(match![2] + url!.search, 'http://localhost'))
  }
}

function decodeSegment(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, {'content-type': 'text/plain; charset=utf-8'}).end('not found\n')
}

/** The latest render of every chart, and the open pages that get each new one over Server-Sent Events. */
class LivePages {
  private readonly latest = new Map<string, Latest>()
  private readonly clients = new Set<ServerResponse>()

  constructor(
    private readonly title: string,
    /** Where these pages are on the site (`/`, or `/<name>/`), for the URLs the JSON API gives out. */
    private readonly base: string,
    private readonly logger: Logger,
    private readonly hub: DashboardHub,
    private readonly assets: DashboardAssets,
  ) {}

  /** `url` is the request's, relative to this pipeline's base; undefined when it could not be parsed. */
  route(req: IncomingMessage, res: ServerResponse, url: URL | undefined): void {
    const path = url?.pathname ?? ''
    if (url && routeDashboard(req, res, url, {hub: this.hub, assets: this.assets, title: this.title})) return
    if (path === '/images') return servePage(res, this.title)
    if (path === '/events' && req.method === 'GET') return this.connect(req, res)
    if (path === '/api/charts') return serveJson(res, this.chartList())
    const name = chartNameFromPath(path)
    const found = name === undefined ? undefined : this.latest.get(name)
    if (found) return serveSvg(res, found.update.svg)
    notFound(res)
  }

  /** Every chart: its latest render (summary, SVG URL) and, when the dashboard draws it, its spec and rows' URL. */
  private chartList() {
    const charts = new Map<string, Record<string, unknown>>()
    // The dashboard's charts in the pipeline's order, then any chart only rendered (a plugin without live()).
    for (const chart of this.hub.chartList()) charts.set(chart.name, liveChartInfo(chart, this.base))
    for (const {update} of this.latest.values())
      charts.set(update.chart, {...withoutSvg(update, this.base), ...charts.get(update.chart)})
    return [...charts.values()]
  }

  publish(update: ChartUpdate): void {
    const frame = `event: chart\ndata: ${JSON.stringify(update)}\n\n`
    this.latest.set(update.chart, {update, frame})
    for (const client of this.clients) this.send(client, frame)
  }

  heartbeat(): void {
    for (const client of this.clients) this.send(client, ': heartbeat\n\n')
  }

  /** Ends every page's event stream (the server is closing). */
  endAll(): void {
    for (const client of this.clients) client.end()
    this.clients.clear()
  }

  /** A page's event stream: every chart's latest render at once, then each new one as it comes. */
  private connect(req: IncomingMessage, res: ServerResponse): void {
    req.socket.setNoDelay(true)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    })
    // retry: a page reconnects within 2 s when etl chart is restarted, instead of the browser's default back-off.
    let text = 'retry: 2000\n\n'
    for (const {frame} of this.latest.values()) text += frame
    res.write(text)
    this.clients.add(res)
    this.logger.debug('live chart page connected', {pages: this.clients.size})
    res.on('close', () => {
      this.clients.delete(res)
      this.logger.debug('live chart page disconnected', {pages: this.clients.size})
    })
  }

  private send(client: ServerResponse, text: string): void {
    if (client.writableLength > MAX_QUEUED_BYTES) {
      this.logger.warn('live chart page is not reading its updates; dropping it (it will reconnect)')
      this.clients.delete(client)
      client.destroy()
      return
    }
    client.write(text)
  }
}

/** Why the page could not listen, naming the flag to change. */
function listenFailure(port: number, host: string): (error: NodeJS.ErrnoException) => Error {
  return (error) => {
    if (error.code === 'EADDRINUSE')
      return new Error(`port ${port} is in use; pass --serve <other port>`, {cause: error})
    if (error.code === 'EACCES')
      return new Error(`port ${port} needs privileges etl does not have; pass --serve <port above 1023>`, {
        cause: error,
      })
    return new Error(`cannot listen on ${host}:${port}: ${error.message}`, {cause: error})
  }
}

/** The request's URL; an unparsable target (e.g. `http://[`) is undefined, matching no route, never a throw. */
function requestUrl(target = '/'): URL | undefined {
  try {
    return new URL(target, 'http://localhost')
  } catch {
    return undefined
  }
}

/** `/charts/<url-encoded name>.svg` → the chart name, or undefined for any other path or a malformed escape. */
export function chartNameFromPath(path: string): string | undefined {
  const match = /^\/charts\/(.+)\.svg$/.exec(path)
  if (!match) return undefined
  try {
    return decodeURIComponent(match[1])
  } catch {
    return undefined
  }
}

export function chartSvgPath(chart: string, base = '/'): string {
  return `${base}charts/${encodeURIComponent(chart)}.svg`
}

function withoutSvg(update: ChartUpdate, base: string) {
  const {svg: _svg, ...rest} = update
  return {...rest, svgUrl: chartSvgPath(update.chart, base)}
}

/** The site's index when it serves several pipelines: a link to each one's dashboard and image page. No script. */
function serveIndex(res: ServerResponse, mounts: Mount[]): void {
  serveHtml(
    res,
    (nonce) => [`style-src 'nonce-${nonce}'`],
    (nonce) => siteIndexHtml(mounts, nonce),
  )
}

function servePage(res: ServerResponse, title: string) {
  const directives = (nonce: string) => [
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    // blob: is where the page puts each chart's SVG (an <img>, so SVG can never run script in the page).
    "img-src 'self' blob: data:",
    // blob: here lets the browser test read back the SVG an <img> shows; blob URLs are only ever this page's own.
    "connect-src 'self' blob:",
  ]
  serveHtml(res, directives, (nonce) => chartPageHtml({title, nonce}))
}

/**
 * An HTML page under a CSP of nothing but `directives` (and no base, forms or framing), with a fresh nonce per
 * response: only the page's own script and style run, even if some text slipped into the markup.
 */
function serveHtml(res: ServerResponse, directives: (nonce: string) => string[], html: (nonce: string) => string) {
  const nonce = randomBytes(16).toString('base64')
  const csp = [
    "default-src 'none'",
    ...directives(nonce),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ]
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': csp.join('; '),
    'referrer-policy': 'no-referrer',
  })
  res.end(html(nonce))
}

function serveSvg(res: ServerResponse, svg: string) {
  res.writeHead(200, {
    'content-type': 'image/svg+xml; charset=utf-8',
    'cache-control': 'no-cache, no-store',
    // Opened on its own (not as an <img>) an SVG is a document that could run script; this keeps it inert.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:",
  })
  res.end(svg)
}

/** A host usable in a URL someone can click: wildcard binds are reachable on localhost, IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost'
  return host.includes(':') ? `[${host}]` : host
}
