/**
 * End-to-end latency at fixed rates: bench/pipelines/latency.yaml (paced, stamped source → topic → filter → CSV →
 * latency sink) through the real CLI, both stages in one process. A record's latency runs from its due time at the
 * source to the moment the CSV sink and the latency sink have both flushed it, i.e. what a reader of the CSV sees.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {BenchStep} from '../lib/bench-step.js'
import {ROOT, startEtl} from '../lib/etl-process.js'
import {percentiles, type Percentiles} from '../lib/stats.js'

export const LATENCY_PIPELINE = join(ROOT, 'bench/pipelines/latency.yaml')

export interface LatencyResult extends Percentiles {
  rate: number
  seconds: number
  warmupSeconds: number
  warmupRecords: number
  counters: Record<string, number>
}

export interface LatencyInputs {
  brokers: string
  runId: string
  dataFile: string
  workDir: string
  rate: number
  seconds: number
  warmupSeconds: number
}

export async function latencyAt(inputs: LatencyInputs): Promise<LatencyResult> {
  const name = `${inputs.runId}-latency-${inputs.rate}`
  const samplesFile = join(inputs.workDir, `${name}.json`)
  const run = startEtl({
    pipeline: LATENCY_PIPELINE,
    stage: 'all',
    brokers: inputs.brokers,
    stateDir: join(inputs.workDir, 'state'),
    vars: {
      BENCH_NAME: name,
      BENCH_TOPIC: name,
      BENCH_GROUP: `${name}-group`,
      BENCH_DATA: inputs.dataFile,
      BENCH_RATE: inputs.rate,
      BENCH_SECONDS: inputs.seconds,
      BENCH_WARMUP: inputs.warmupSeconds,
      BENCH_OUT: join(inputs.workDir, `${name}.csv`),
      BENCH_SAMPLES: samplesFile,
    },
  })
  const {counters} = await run.exited
  const {warmup, samples} = JSON.parse(readFileSync(samplesFile, 'utf8')) as {warmup: number; samples: number[]}
  const expected = Math.round(inputs.rate * inputs.seconds)
  if (samples.length !== expected)
    throw new Error(`latency at ${inputs.rate}/s: ${samples.length} samples, expected ${expected}`)
  return {
    rate: inputs.rate,
    seconds: inputs.seconds,
    warmupSeconds: inputs.warmupSeconds,
    warmupRecords: warmup,
    ...percentiles(samples),
    counters: Object.fromEntries(counters),
  }
}

/** The latency section: one run per rate, one after another. */
export async function latencyAtRates(
  inputs: Omit<LatencyInputs, 'rate'>,
  rates: number[],
  step: BenchStep,
): Promise<LatencyResult[]> {
  const results: LatencyResult[] = []
  for (const rate of rates) {
    step(`latency-${rate}`, `latency at ${rate} records/s for ${inputs.seconds} s (+${inputs.warmupSeconds} s warm-up)`)
    results.push(await latencyAt({...inputs, rate}))
  }
  return results
}
