/**
 * The live dashboard's budget in a real headless Chromium: 5 charts × 10,000 points, 10 new rows per second per
 * series (one series per chart), for a while. Rows go the real way — the vega-lite chart plugin normalises them, the
 * dashboard hub streams them over SSE, the page applies them as Vega changesets — and Chromium's own performance
 * metrics (CDP Performance.getMetrics) tell how busy the page's main thread is (TaskDuration per wall second, and
 * its CPU time, ThreadTime, which a shared machine's load does not inflate) and whether its JS heap stays flat
 * (sampled after a forced GC). Not a test: targets are reported as met or not.
 *
 *   npm run bench -- --only dashboard                        (a section of the bench)
 *   node --import tsx bench/scenarios/dashboard.ts [--seconds 60 | --minutes 10] [--heights 1000,2400] [--json]
 *     [--profile page.cpuprofile]   (the page's CPU profile, and its top functions in the log)
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import vegaLite from '../../src/plugins/chart/vega-lite/index.js'
import {startChartServer} from '../../src/runtime/charts/chart-server.js'
import {createLogger} from '../../src/runtime/logger.js'
import type {ChartInstance} from '../../src/runtime/plugin-types.js'
import {launchChromium} from '../../test/support/chromium.js'
import {configFor, testContext} from '../../test/support/plugin-context.js'
import {ROOT} from '../lib/etl-process.js'

export const DASHBOARD_TARGETS = {mainThreadBusyPct: 20, heapGrowthMbPer10Min: 5}
const CHARTS = 5
const POINTS = 10_000
const ROWS_PER_SECOND = 10
const TICK_MS = 100
const SAMPLE_MS = 5000
const WARMUP_MS = 10_000

export interface DashboardBench {
  targets: typeof DASHBOARD_TARGETS
  charts: number
  pointsPerChart: number
  rowsPerSecondPerSeries: number
  seconds: number
  viewportHeight: number
  /** Charts on screen (redrawn as rows arrive). */
  chartsOnScreen: number
  /** Main-thread task time per wall second over the whole measured run, and its worst 5-second sample. */
  mainThreadBusyPct: number
  worstSampleBusyPct: number
  /**
   * The main thread's CPU time per wall second (Chromium's ThreadTime). Task time is wall time: on a shared machine it
   * also counts the time a task waited for a core; CPU time counts only the page's own work.
   */
  mainThreadCpuPct: number
  heapMb: {first: number; last: number; min: number; max: number}
  /** Least-squares slope of the post-GC JS heap, in MB per 10 minutes. */
  heapGrowthMbPer10Min: number
  rowsSent: number
  /** Rows each chart's view holds at the end (POINTS when nothing was lost or duplicated). */
  rowsHeld: number[]
  meetsTargets: {busy: boolean; heap: boolean}
}

/** A random walk of rows for one series, at one minute per row, from a fixed start. */
function walk(series: string) {
  let t = Date.UTC(2025, 0, 1)
  let price = 100 + Math.random() * 100
  return (count: number) =>
    Array.from({length: count}, () => {
      t += 60_000
      price *= 1 + (Math.random() - 0.5) * 0.002
      return {timestamp: t, symbol: series, price_usd: price}
    })
}

async function createCharts(dir: string): Promise<ChartInstance[]> {
  const charts: ChartInstance[] = []
  for (let i = 0; i < CHARTS; i++) {
    const config = {spec: join(ROOT, 'charts/price.vl.json'), output: {svg: `out/c${i}.svg`}, points: POINTS * 2}
    charts.push((await vegaLite.create(configFor(vegaLite, config), testContext({cwd: dir}).context)) as ChartInstance)
  }
  return charts
}

interface CpuProfile {
  nodes: {id: number; callFrame: {functionName: string; url: string; lineNumber: number}}[]
  samples: number[]
  timeDeltas: number[]
}

/** Saves the page's CPU profile (open it in Chrome DevTools) and logs the functions with the most self time. */
function writeProfile(file: string, profile: CpuProfile, log: (line: string) => void): void {
  writeFileSync(file, JSON.stringify(profile))
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const self = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)!
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
    log(`profile: ${((us / total) * 100).toFixed(1).padStart(5)} % ${name}`)
}

function slopePerMinute(samples: {at: number; mb: number}[]): number {
  const n = samples.length
  const mx = samples.reduce((s, p) => s + p.at, 0) / n
  const my = samples.reduce((s, p) => s + p.mb, 0) / n
  const sxy = samples.reduce((s, p) => s + (p.at - mx) * (p.mb - my), 0)
  const sxx = samples.reduce((s, p) => s + (p.at - mx) ** 2, 0)
  return sxx === 0 ? 0 : (sxy / sxx) * 60_000
}

/**
 * One run; `height` is the page's viewport height: 1000 px shows about two charts (the others are not redrawn until
 * scrolled to), 2400 px shows all five.
 */
export async function dashboardBench(
  seconds: number,
  height: number,
  log: (line: string) => void,
  profile?: string,
): Promise<DashboardBench> {
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-dashboard-'))
  const server = await startChartServer({port: 0, logger: createLogger('bench', {level: 'warn'}), title: 'bench'})
  const charts = await createCharts(dir)
  const walks = charts.map((_, i) => walk(`S${i}`))
  charts.forEach((chart, i) => server.dashboard.addChart(`chart-${i}`, `Series S${i}`, chart.live!()))
  charts.forEach((chart, i) => chart.add(walks[i](POINTS)))
  const browser = await launchChromium()
  let timer: NodeJS.Timeout | undefined
  try {
    const page = await browser.newPage({viewport: {width: 1360, height}})
    browser.on('disconnected', () => log('dashboard: the browser disconnected'))
    page.on('close', () => log('dashboard: the page closed'))
    page.on('crash', () => log('dashboard: the page crashed'))
    page.on('pageerror', (error) => log(`dashboard: page error ${error.message}`))
    page.on('console', (message) => log(`dashboard: console ${message.type()} ${message.text()}`))
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    await page.goto(server.url)
    // Page code as strings: the page's objects have no types here (and tsx would wrap functions in helpers).
    const onPage = '[...globalThis.etlDashboard.charts.values()]'
    // Polled with evaluate (CDP, outside the page's CSP): waitForFunction would eval the string in the page.
    const drawn = `${onPage}.length === ${CHARTS} && ${onPage}.every((c) => c.ready && c.count() === ${POINTS})`
    for (const deadline = Date.now() + 120_000; !(await page.evaluate(drawn));) {
      if (Date.now() > deadline) throw new Error(`the page did not draw ${CHARTS} charts in 120 s`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    log(`dashboard: ${CHARTS} charts × ${POINTS} points drawn; streaming ${ROWS_PER_SECOND} rows/s per series`)
    let rowsSent = 0
    const perTick = (ROWS_PER_SECOND * TICK_MS) / 1000
    timer = setInterval(() => {
      charts.forEach((chart, i) => chart.add(walks[i](perTick)))
      rowsSent += perTick * CHARTS
    }, TICK_MS)
    const metrics = async () => {
      const {metrics: list} = (await cdp.send('Performance.getMetrics')) as {metrics: {name: string; value: number}[]}
      return Object.fromEntries(list.map((m) => [m.name, m.value]))
    }
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS))
    if (profile) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'))
    const sample = async () => {
      const m = await metrics()
      return {at: Date.now(), task: m.TaskDuration, cpu: m.ThreadTime}
    }
    const start = await sample()
    let previous = start
    const busy: number[] = []
    const heap: {at: number; mb: number}[] = []
    while (Date.now() - start.at < seconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS))
      const now = await sample()
      busy.push(((now.task - previous.task) / ((now.at - previous.at) / 1000)) * 100)
      previous = now
      await cdp.send('HeapProfiler.collectGarbage')
      heap.push({at: Date.now() - start.at, mb: (await metrics()).JSHeapUsedSize / 2 ** 20})
      log(
        `dashboard: ${Math.round((Date.now() - start.at) / 1000)} s, busy ${busy.at(-1)!.toFixed(1)} %, ` +
          `heap ${heap.at(-1)!.mb.toFixed(1)} MB`,
      )
    }
    clearInterval(timer)
    timer = undefined
    if (profile) writeProfile(profile, ((await cdp.send('Profiler.stop')) as {profile: CpuProfile}).profile, log)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const rowsHeld = (await page.evaluate(`${onPage}.map((c) => c.count())`)) as number[]
    const chartsOnScreen = (await page.evaluate(`${onPage}.filter((c) => c.visible).length`)) as number
    const measuredSeconds = (previous.at - start.at) / 1000
    const total = ((previous.task - start.task) / measuredSeconds) * 100
    const mbs = heap.map((h) => h.mb)
    const growth = slopePerMinute(heap) * 10
    return {
      targets: DASHBOARD_TARGETS,
      charts: CHARTS,
      pointsPerChart: POINTS,
      rowsPerSecondPerSeries: ROWS_PER_SECOND,
      seconds,
      viewportHeight: height,
      chartsOnScreen,
      mainThreadBusyPct: total,
      worstSampleBusyPct: Math.max(...busy),
      mainThreadCpuPct: ((previous.cpu - start.cpu) / measuredSeconds) * 100,
      heapMb: {first: mbs[0], last: mbs.at(-1)!, min: Math.min(...mbs), max: Math.max(...mbs)},
      heapGrowthMbPer10Min: growth,
      rowsSent,
      rowsHeld,
      meetsTargets: {
        busy: total < DASHBOARD_TARGETS.mainThreadBusyPct,
        heap: growth < DASHBOARD_TARGETS.heapGrowthMbPer10Min,
      },
    }
  } finally {
    if (timer) clearInterval(timer)
    await browser.close()
    await Promise.all(charts.map((chart) => chart.close()))
    await server.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

export function formatDashboard(r: DashboardBench): string {
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met')
  return [
    `Live dashboard in Chromium: ${r.charts} charts × ${r.pointsPerChart.toLocaleString('en-US')} points, ` +
      `${r.rowsPerSecondPerSeries} rows/s per series, ${r.seconds} s measured, viewport 1360×${r.viewportHeight} ` +
      `(${r.chartsOnScreen} charts on screen)`,
    `  main thread busy   ${r.mainThreadBusyPct.toFixed(1)} % (worst 5 s: ${r.worstSampleBusyPct.toFixed(1)} %)  ` +
      `target < ${r.targets.mainThreadBusyPct} %: ${verdict(r.meetsTargets.busy)}`,
    `  main thread CPU    ${r.mainThreadCpuPct.toFixed(1)} % (its CPU time per wall second; task time above also ` +
      'counts waits for a core)',
    `  JS heap after GC   ${r.heapMb.first.toFixed(1)} → ${r.heapMb.last.toFixed(1)} MB ` +
      `(min ${r.heapMb.min.toFixed(1)}, max ${r.heapMb.max.toFixed(1)}), trend ${r.heapGrowthMbPer10Min.toFixed(2)} ` +
      `MB/10 min  target < ${r.targets.heapGrowthMbPer10Min}: ${verdict(r.meetsTargets.heap)}`,
    `  rows streamed      ${r.rowsSent.toLocaleString('en-US')}; each view holds ${r.rowsHeld.join(', ')}`,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({
    options: {
      seconds: {type: 'string', default: '60'},
      minutes: {type: 'string'},
      heights: {type: 'string', default: '1000,2400'},
      json: {type: 'boolean'},
      profile: {type: 'string'},
    },
  })
  const seconds = values.minutes === undefined ? Number(values.seconds) : Number(values.minutes) * 60
  if (!(seconds > 0)) throw new Error('--seconds / --minutes must be a positive number')
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
  const results: DashboardBench[] = []
  for (const height of values.heights.split(',').map(Number))
    results.push(await dashboardBench(seconds, height, log, values.profile))
  process.stdout.write(
    values.json ? `${JSON.stringify(results, null, 2)}\n` : `${results.map(formatDashboard).join('\n')}\n`,
  )
}
