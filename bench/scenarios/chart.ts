/**
 * Chart render benchmark: the vega-lite chart plugin against Matplotlib drawing the same chart (price line + 20-point
 * moving average, 1600×800 PNG) at 1k, 10k and 100k points of history. Not a test: run `npm run bench:chart`.
 *
 * History comes from data/btcusd-5m-2011.csv (39k five-minute closes). To reach 100k points the file's rows are
 * repeated, each repetition shifted forward in time by the file's span, so prices repeat but time keeps increasing.
 * Each size runs in a fresh Node process, so its RSS is its own. Each timed render follows the arrival of one new row
 * (as in a live chart) and includes downsampling, SVG, PNG and both atomic file writes.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse} from 'csv-parse/sync'
import {systemClock} from '../../src/runtime/clock.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const DATA = join(ROOT, 'data/btcusd-5m-2011.csv')
const SIZES = [1_000, 10_000, 100_000]
const WARMUP = 5
const RUNS = 40
const WIDTH = 800
const HEIGHT = 400
const SCALE = 2
const FIVE_MINUTES = 300_000

interface Timing {
  points: number
  p50: number
  p95: number
  rssMb?: number
  renderedPoints?: number
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

/** `count` rows of (time, close), looping the file and shifting each loop after the previous one. */
function history(count: number): {timestamp: number; close: number}[] {
  const records = parse(readFileSync(DATA), {columns: true}) as Record<string, string>[]
  const base = records.map((record) => ({t: Number(record.unix_timestamp) * 1000, close: Number(record.close)}))
  const span = base[base.length - 1].t - base[0].t + FIVE_MINUTES
  return Array.from({length: count}, (_, i) => {
    const row = base[i % base.length]
    return {timestamp: row.t + Math.floor(i / base.length) * span, close: row.close}
  })
}

/** One size, in this (fresh) process: prints a Timing as JSON. */
async function benchOne(points: number): Promise<void> {
  const {default: vegaLite} = await import('../../src/plugins/chart/vega-lite/index.js')
  const {createLogger} = await import('../../src/runtime/logger.js')
  const {DEFAULT_SINK_RETRY} = await import('../../src/runtime/retry.js')
  const out = mkdtempSync(join(tmpdir(), 'etl-chart-bench-'))
  try {
    const config = {
      spec: join(ROOT, 'charts/price.vl.json'),
      output: {png: join(out, 'chart.png'), svg: join(out, 'chart.svg')},
      width: WIDTH,
      height: HEIGHT,
      scale: SCALE,
      fields: {
        time: 'timestamp',
        value: 'close',
        series: 'symbol',
        open: 'open',
        high: 'high',
        low: 'low',
        close: 'close',
        volume: 'volume',
      },
      defaultSeries: 'BTC',
      downsample: 'lttb' as const,
      points: 200_000,
      movingAverage: 20,
    }
    const context = {
      logger: createLogger('bench', {level: 'warn', format: 'text', write: () => undefined}),
      pipelineName: 'bench',
      pipelineDir: ROOT,
      stateDir: out,
      resolvePath: (path: string) => path,
      signal: new AbortController().signal,
      count: () => undefined,
      reject: () => undefined,
      retry: DEFAULT_SINK_RETRY,
      registerSecret: () => undefined,
      clock: systemClock,
    }
    const chart = await vegaLite.create(config, context)
    let rows: ReturnType<typeof history> | undefined = history(points + WARMUP + RUNS)
    chart.add(rows.slice(0, points))
    // Keep only the rows still to come: a live chart's records are not retained after add(), and 100k parsed records
    // left on the heap would slow every garbage collection during the timed renders.
    const arriving = rows.slice(points)
    rows = undefined
    const times: number[] = []
    let renderedPoints = 0
    for (let i = 0; i < WARMUP + RUNS; i++) {
      chart.add([arriving[i]])
      const render = await chart.render()
      renderedPoints = render.renderedPoints
      if (i >= WARMUP) times.push(render.ms)
    }
    const rssMb = process.memoryUsage().rss / 2 ** 20
    await chart.close()
    times.sort((a, b) => a - b)
    const timing: Timing = {points, p50: percentile(times, 50), p95: percentile(times, 95), rssMb, renderedPoints}
    process.stdout.write(JSON.stringify(timing))
  } finally {
    rmSync(out, {recursive: true, force: true})
  }
}

/** A Python with Matplotlib: the system one, else a venv in the etl cache (created once). Undefined if impossible. */
function matplotlibPython(): string | undefined {
  const works = (python: string) => spawnSync(python, ['-c', 'import matplotlib'], {stdio: 'ignore'}).status === 0
  if (works('python3')) return 'python3'
  const venv = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'etl', 'bench-venv')
  const python = join(venv, 'bin', 'python')
  if (existsSync(python) && works(python)) return python
  try {
    console.log(`installing matplotlib into ${venv} (once)…`)
    execFileSync('python3', ['-m', 'venv', venv], {stdio: 'inherit'})
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', 'matplotlib'], {stdio: 'inherit'})
    return works(python) ? python : undefined
  } catch {
    return undefined
  }
}

function benchMatplotlib(): {timings?: Timing[]; version?: string; skipped?: string} {
  const python = matplotlibPython()
  if (!python) return {skipped: 'Matplotlib is not installed and could not be installed into a venv; skipping it'}
  const script = join(ROOT, 'bench/scenarios/chart-matplotlib.py')
  const args = [
    script,
    DATA,
    SIZES.join(','),
    String(WARMUP),
    String(RUNS),
    String(WIDTH),
    String(HEIGHT),
    String(SCALE),
  ]
  const result = spawnSync(python, args, {encoding: 'utf8', maxBuffer: 16 * 2 ** 20})
  if (result.status !== 0) return {skipped: `chart-matplotlib.py failed: ${result.stderr.trim().split('\n').at(-1)}`}
  return JSON.parse(result.stdout)
}

async function main(): Promise<void> {
  const ours: Timing[] = []
  for (const points of SIZES) {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--points', String(points)],
      {
        encoding: 'utf8',
        cwd: ROOT,
      },
    )
    if (result.status !== 0) throw new Error(`bench for ${points} points failed:\n${result.stderr}`)
    ours.push(JSON.parse(result.stdout))
  }
  const matplotlib = benchMatplotlib()
  const fmt = (value: number | undefined, digits = 1) => (value === undefined ? '—' : value.toFixed(digits)).padStart(8)
  console.log(
    `\nvega-lite chart plugin vs Matplotlib — ${WIDTH}×${HEIGHT} at scale ${SCALE} ` +
      `(${WIDTH * SCALE}×${HEIGHT * SCALE} PNG), price line + ${20}-point moving average; ` +
      `${RUNS} timed renders after ${WARMUP} warm-up`,
  )
  console.log('history: data/btcusd-5m-2011.csv (39,017 rows) looped and shifted in time to reach 100k points\n')
  console.log('  points    drawn   p50 ms   p95 ms   RSS MB | mpl p50  mpl p95 | p50 ratio (mpl / ours)')
  for (const [i, timing] of ours.entries()) {
    const mpl = matplotlib.timings?.[i]
    const ratio = mpl ? `${(mpl.p50 / timing.p50).toFixed(1)}×` : '—'
    console.log(
      `${String(timing.points).padStart(8)} ${String(timing.renderedPoints).padStart(8)} ` +
        `${fmt(timing.p50)} ${fmt(timing.p95)} ${fmt(timing.rssMb, 0)} | ` +
        `${fmt(mpl?.p50)} ${fmt(mpl?.p95)} | ${ratio.padStart(8)}`,
    )
  }
  if (matplotlib.skipped) console.log(`\n${matplotlib.skipped}`)
  else
    console.log(
      `\nMatplotlib ${matplotlib.version} (Agg) draws every point; the plugin draws ≤ ${WIDTH} per series (LTTB).`,
    )
  const target = ours.find((timing) => timing.points === 100_000)
  if (target)
    console.log(
      `issue target p50 ≤ 35 ms at 100k points: ${target.p50.toFixed(1)} ms — ${target.p50 <= 35 ? 'met' : 'NOT met'}`,
    )
  const dir = join(ROOT, 'bench/results')
  mkdirSync(dir, {recursive: true})
  const file = join(dir, `chart-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(
    file,
    JSON.stringify({date: new Date().toISOString(), node: process.version, ours, matplotlib}, null, 2) + '\n',
  )
  console.log(`results: ${file}`)
}

const pointsFlag = process.argv.indexOf('--points')
if (pointsFlag >= 0) await benchOne(Number(process.argv[pointsFlag + 1]))
else await main()
