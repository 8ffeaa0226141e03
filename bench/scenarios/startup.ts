/**
 * Start-up of the built CLI: `etl --version`, `etl validate` of each shipped pipeline and `etl plugins`, each run
 * as a child process the way a user runs it, several times in turns (so a load spike hits every command alike).
 * Figures are medians of wall time (spawn to exit) and peak RSS, read against the targets and as ratios to a bare
 * `node -e 0` measured in the same turns. Not a test: nothing asserts a time; targets are reported as met or not.
 *
 * A chart spec that passed its check before is not checked again (the chart plugin remembers passes in
 * ~/.cache/etl), so `validate` is measured twice for pipelines with charts: as usually run (that cache filled by the
 * first turn), and cold, with an empty cache, when vega is loaded in a worker to check the specs.
 *
 *   npm run bench -- --only startup                     (a section of the bench, which builds first)
 *   node --import tsx bench/scenarios/startup.ts [--runs 7] [--json]      (alone, after `npm run build`)
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {ROOT} from '../lib/etl-process.js'
import {percentile} from '../lib/stats.js'

const ETL_BIN = join(ROOT, 'bin', 'run.js')

export const STARTUP_TARGETS = {wallMs: 300, maxRssMb: 120}

/** Preloaded into every measured process: at exit it prints its peak RSS (the whole process, workers included). */
const RSS_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    'process.on("exit", () => process.stderr.write(`\\nSTARTUP_MAX_RSS_KB ${process.resourceUsage().maxRSS}\\n`))',
  )

export interface StartupCase {
  name: string
  /** node's arguments after the probe: a script and its arguments. */
  args: string[]
  /** Runs each turn with a fresh, empty ETL_CACHE_DIR. */
  coldCache?: boolean
  /** The bare-node reference: not held to the targets. */
  reference?: boolean
}

export interface StartupFigure {
  name: string
  runs: number
  medianWallMs: number
  medianMaxRssMb: number
  wallVsNode: number
  rssVsNode: number
  /** undefined for the reference itself. */
  meetsTargets?: {wall: boolean; rss: boolean}
}

export interface StartupResults {
  targets: typeof STARTUP_TARGETS
  runs: number
  figures: StartupFigure[]
}

/** The shipped pipelines (pipelines/*.yaml without the pipeline tests) and whether each draws charts. */
function shippedPipelines(): {file: string; charts: boolean}[] {
  return readdirSync(join(ROOT, 'pipelines'))
    .filter((name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'))
    .sort()
    .map((name) => {
      const file = join('pipelines', name)
      return {file, charts: /^charts:/m.test(readFileSync(join(ROOT, file), 'utf8'))}
    })
}

export function startupCases(): StartupCase[] {
  const cases: StartupCase[] = [
    {name: 'node -e 0', args: ['-e', '0'], reference: true},
    {name: 'etl --version', args: [ETL_BIN, '--version']},
  ]
  for (const {file, charts} of shippedPipelines()) {
    cases.push({name: `etl validate ${file}`, args: [ETL_BIN, 'validate', file]})
    if (charts) cases.push({name: `etl validate ${file} (cold)`, args: [ETL_BIN, 'validate', file], coldCache: true})
  }
  cases.push({name: 'etl plugins', args: [ETL_BIN, 'plugins']})
  return cases
}

/** One run: wall time from spawn to exit, and the peak RSS the probe reported. Fails on a non-zero exit. */
function runOnce(testCase: StartupCase): Promise<{wallMs: number; maxRssKb: number}> {
  const cacheDir = testCase.coldCache ? mkdtempSync(join(tmpdir(), 'etl-startup-cache-')) : undefined
  // Without the caller's NODE_OPTIONS (a --import=tsx of `npm run bench` would be timed too).
  const {NODE_OPTIONS: _callersOptions, ...inherited} = process.env
  const env = {...inherited, ...(cacheDir ? {ETL_CACHE_DIR: cacheDir} : {})}
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', RSS_PROBE, ...testCase.args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - started
      if (cacheDir) rmSync(cacheDir, {recursive: true, force: true})
      const rss = /STARTUP_MAX_RSS_KB (\d+)/.exec(stderr)
      if (code !== 0 || !rss) reject(new Error(`${testCase.name} exited ${code}:\n${stderr}`))
      else resolve({wallMs, maxRssKb: Number(rss[1])})
    })
  })
}

const median = (values: number[]) => percentile(Float64Array.from(values).sort(), 50)

/**
 * Every case `runs` times, in turns; the first turn is a warm-up (file cache, the chart plugin's cache of passed
 * specs) and is not counted.
 */
export async function measureStartup(runs = 7, log: (line: string) => void = () => {}): Promise<StartupResults> {
  const cases = startupCases()
  const samples = new Map(cases.map((testCase) => [testCase.name, [] as {wallMs: number; maxRssKb: number}[]]))
  for (let turn = 0; turn <= runs; turn++) {
    log(turn === 0 ? 'start-up: warm-up turn' : `start-up: turn ${turn} of ${runs}`)
    for (const testCase of cases) {
      const sample = await runOnce(testCase)
      if (turn > 0) samples.get(testCase.name)!.push(sample)
    }
  }
  const medians = cases.map((testCase) => {
    const taken = samples.get(testCase.name)!
    const wallMs = median(taken.map((sample) => sample.wallMs))
    return {testCase, wallMs, maxRssMb: median(taken.map((sample) => sample.maxRssKb)) / 1024}
  })
  const node = medians.find((entry) => entry.testCase.reference)!
  const figures = medians.map(({testCase, wallMs, maxRssMb}) => ({
    name: testCase.name,
    runs,
    medianWallMs: wallMs,
    medianMaxRssMb: maxRssMb,
    wallVsNode: wallMs / node.wallMs,
    rssVsNode: maxRssMb / node.maxRssMb,
    meetsTargets: testCase.reference
      ? undefined
      : {wall: wallMs <= STARTUP_TARGETS.wallMs, rss: maxRssMb <= STARTUP_TARGETS.maxRssMb},
  }))
  return {targets: STARTUP_TARGETS, runs, figures}
}

export function formatStartup(results: StartupResults): string {
  const {wallMs, maxRssMb} = results.targets
  const lines = [
    `Start-up (median of ${results.runs} runs; targets ≤ ${wallMs} ms wall, ≤ ${maxRssMb} MB max RSS)`,
    `  ${'command'.padEnd(48)} ${'wall'.padStart(8)} ${'× node'.padStart(7)} ${'max RSS'.padStart(9)} ` +
      `${'× node'.padStart(7)}  targets`,
  ]
  for (const figure of results.figures) {
    const met = figure.meetsTargets
    const verdict = met
      ? `${met.wall ? 'wall met' : 'wall NOT met'}, ${met.rss ? 'RSS met' : 'RSS NOT met'}`
      : '(reference)'
    lines.push(
      `  ${figure.name.padEnd(48)} ${`${Math.round(figure.medianWallMs)} ms`.padStart(8)} ` +
        `${figure.wallVsNode.toFixed(1).padStart(7)} ${`${figure.medianMaxRssMb.toFixed(0)} MB`.padStart(9)} ` +
        `${figure.rssVsNode.toFixed(1).padStart(7)}  ${verdict}`,
    )
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({options: {runs: {type: 'string', default: '7'}, json: {type: 'boolean'}}})
  const runs = Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs}`)
  const results = await measureStartup(runs, (line) => process.stderr.write(`[bench] ${line}\n`))
  process.stdout.write(values.json ? `${JSON.stringify(results, null, 2)}\n` : `${formatStartup(results)}\n`)
}
