/**
 * RSS of the pipeline process over a long run at a fixed rate (bench/pipelines/memory.yaml: paced source → topic →
 * 1-minute OHLC → CSV, both stages in one process), sampled from outside so sampling costs the pipeline nothing.
 */
import {join} from 'node:path'
import {sleep} from '../../src/runtime/retry.js'
import {ROOT, startEtl} from '../lib/etl-process.js'
import {rssMb} from '../lib/process-rss.js'
import {slope} from '../lib/stats.js'

export const MEMORY_PIPELINE = join(ROOT, 'bench/pipelines/memory.yaml')

export interface MemoryResult {
  rate: number
  minutes: number
  sampleEverySec: number
  startMb: number
  peakMb: number
  endMb: number
  /**
   * Least-squares slope over the second half of the run, MB per minute. V8 grows (and once in a while shrinks) its
   * heap over the first minutes before it settles, so the first half shows heap sizing, not a leak.
   */
  slopeMbPerMin: number
  slopeFromSec: number
  samples: {sec: number; rssMb: number}[]
  counters: Record<string, number>
}

export interface MemoryInputs {
  brokers: string
  runId: string
  dataFile: string
  workDir: string
  rate: number
  minutes: number
  sampleEverySec: number
}

export async function memoryRun(inputs: MemoryInputs): Promise<MemoryResult> {
  const name = `${inputs.runId}-memory`
  const run = startEtl({
    pipeline: MEMORY_PIPELINE,
    stage: 'all',
    brokers: inputs.brokers,
    stateDir: join(inputs.workDir, 'state'),
    vars: {
      BENCH_NAME: name,
      BENCH_TOPIC: name,
      BENCH_GROUP: `${name}-group`,
      BENCH_DATA: inputs.dataFile,
      BENCH_RATE: inputs.rate,
      BENCH_SECONDS: inputs.minutes * 60,
      BENCH_OUT: join(inputs.workDir, `${name}.csv`),
    },
  })
  let exited = false
  run.exited.then(
    () => (exited = true),
    () => (exited = true),
  )
  const started = await run.logged('pipeline ')
  const samples: {sec: number; rssMb: number}[] = []
  // Sampled on a fixed schedule from the stages' start until the source ran out (the drain after it is not steady).
  let sourceDone = false
  void run.logged('source finished').then(() => (sourceDone = true))
  for (let next = started; !exited && !sourceDone; next += inputs.sampleEverySec * 1000) {
    await sleep(Math.max(0, next - Date.now()))
    const rss = rssMb(run.pid)
    if (rss !== undefined && !sourceDone) samples.push({sec: (Date.now() - started) / 1000, rssMb: rss})
  }
  const {counters} = await run.exited
  if (samples.length < 2) throw new Error('memory run: fewer than two RSS samples')
  const slopeFromSec = (inputs.minutes * 60) / 2
  const steady = samples.filter((s) => s.sec >= slopeFromSec).map((s) => ({x: s.sec / 60, y: s.rssMb}))
  return {
    rate: inputs.rate,
    minutes: inputs.minutes,
    sampleEverySec: inputs.sampleEverySec,
    startMb: samples[0].rssMb,
    peakMb: Math.max(...samples.map((s) => s.rssMb)),
    endMb: samples[samples.length - 1].rssMb,
    slopeMbPerMin: slope(steady),
    slopeFromSec,
    samples,
    counters: Object.fromEntries(counters),
  }
}
