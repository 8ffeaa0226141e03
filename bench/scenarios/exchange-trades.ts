/**
 * The `exchange` section of `npm run bench`: the binance source against its look-alike (test/support/fake-binance.ts)
 * through the real CLI, both stages in one process, into a CSV. Latency runs from a trade's time (the look-alike
 * stamps each trade with the wall clock as it sends it) to the moment the CSV sink and the latency sink have flushed
 * it, at fixed rates (goal: p99 ≤ 20 ms at 1,000 trades/s). The sustained rate is the highest served rate at which
 * every trade reached the CSV within the run, as trades/s.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {startFakeBinance} from '../../test/support/fake-binance.js'
import type {BenchStep} from '../lib/bench-step.js'
import {ROOT, startEtl} from '../lib/etl-process.js'
import {percentiles, type Percentiles} from '../lib/stats.js'

const PIPELINE = join(ROOT, 'bench/pipelines/exchange-latency.yaml')
const WARMUP_MS = 15_000

export interface ExchangeLatency extends Percentiles {
  rate: number
  trades: number
  /** Trades the CSV sink wrote (all served trades, warm-up included, when none was lost). */
  written: number
  /** Trades served, warm-up included. */
  served: number
}

export interface ExchangeInputs {
  brokers: string
  runId: string
  workDir: string
  seconds: number
}

/** One run at `rate` trades/s for `seconds` after a warm-up; the run is stopped once the CSV holds every trade. */
async function latencyAt(inputs: ExchangeInputs, rate: number): Promise<ExchangeLatency> {
  const fake = await startFakeBinance({clock: 'wall', symbols: ['BTCUSDT']})
  const name = `${inputs.runId}-exchange-${rate}`
  const samplesFile = join(inputs.workDir, `${name}.json`)
  try {
    const run = startEtl({
      pipeline: PIPELINE,
      stage: 'all',
      brokers: inputs.brokers,
      stateDir: join(inputs.workDir, 'state'),
      vars: {
        ...{BENCH_NAME: name, BENCH_TOPIC: name, BENCH_GROUP: `${name}-group`},
        ...{BENCH_WS: fake.wsUrl, BENCH_REST: fake.restUrl, BENCH_SAMPLES: samplesFile},
        BENCH_OUT: join(inputs.workDir, `${name}.csv`),
      },
    })
    await run.logged('Binance stream: connected')
    const warmup = Math.round((rate * WARMUP_MS) / 1000)
    await fake.serve('BTCUSDT', warmup, {perSecond: rate})
    const since = Date.now()
    const trades = Math.round(rate * inputs.seconds)
    await fake.serve('BTCUSDT', trades, {perSecond: rate})
    await new Promise((resolve) => setTimeout(resolve, 2000))
    run.child.kill('SIGINT')
    const {counters} = await run.exited
    const {samples, stamps} = JSON.parse(readFileSync(samplesFile, 'utf8')) as {samples: number[]; stamps: number[]}
    const measured = samples.filter((_, index) => stamps[index] >= since)
    const written = counters.get('sink csv written') ?? 0
    return {rate, trades, written, served: warmup + trades, ...percentiles(measured)}
  } finally {
    await fake.close()
  }
}

/** The section: one run per rate. */
export async function exchangeTrades(
  inputs: ExchangeInputs,
  rates: number[],
  step: BenchStep,
): Promise<ExchangeLatency[]> {
  const results: ExchangeLatency[] = []
  for (const rate of rates) {
    step(`exchange-${rate}`, `binance trades at ${rate}/s for ${inputs.seconds} s through the look-alike`)
    results.push(await latencyAt(inputs, rate))
  }
  return results
}

/** A rate the pipeline keeps up with: every trade written, and the latency not running away (p99 under 1 s). */
export function keptUp(r: ExchangeLatency): boolean {
  return r.written >= (r.served ?? r.trades) && r.p99 < 1000
}

export function formatExchangeTrades(results: ExchangeLatency[]): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(9)
  const sustained = results.filter(keptUp).map((r) => r.rate)
  return [
    'Exchange trades (binance look-alike → topic → CSV), latency from trade time to flushed CSV row',
    ...results.map(
      (r) =>
        `  ${`${r.rate.toLocaleString('en-US')}/s`.padStart(9)}  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  max ${ms(r.max)}` +
        `  (${r.count} samples; ${r.written} of ${r.trades} + warm-up written)`,
    ),
    `  sustained: ${sustained.length > 0 ? `${Math.max(...sustained).toLocaleString('en-US')} trades/s` : 'none'} ` +
      '(the highest rate run at which every trade was written with p99 under 1 s)',
  ].join('\n')
}
