/**
 * What `etl run --metrics` costs: the throughput pipeline end to end (both stages, as shipped) with the metrics
 * endpoint off and on, in the same bench run, on fresh topics, alternating off/on so a drift of the machine (another
 * process, a warming disk cache) hits both alike. While metrics are on, the endpoint is scraped every second as a
 * Prometheus server would, so the cost of the async collect (consumer lag read from Kafka) is in the figure. The goal
 * is at most 3 % fewer records per second.
 */
import type {BenchStep} from '../lib/bench-step.js'
import {endToEnd, type StageRate, type ThroughputInputs} from './throughput.js'

/** Rounds of one run without and one with metrics; the medians are compared. */
const ROUNDS = 5
const SCRAPE_EVERY_MS = 1000

export interface MetricsOverhead {
  off: StageRate[]
  on: StageRate[]
  /** Median records/s with metrics on, over off: 1 = no cost, 0.97 = 3 % slower. */
  ratio: number
  /** Scrapes answered (HTTP 200) during the runs with metrics on; 0 would mean the endpoint was not exercised. */
  scrapes: number
  goalMet: boolean
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Scrapes `url` every second until stopped; returns how many scrapes were answered. */
function scrapeEverySecond(url: string): () => number {
  let answered = 0
  const timer = setInterval(() => {
    fetch(url)
      .then(async (res) => {
        await res.text()
        if (res.ok) answered++
      })
      .catch(() => undefined) // not listening yet, or already gone
  }, SCRAPE_EVERY_MS)
  return () => {
    clearInterval(timer)
    return answered
  }
}

/** The end-to-end throughput with `--metrics` off and on, ROUNDS times each; `port` is where metrics listen. */
export async function metricsOverhead(
  inputs: ThroughputInputs,
  step: BenchStep,
  port = 9464,
): Promise<MetricsOverhead> {
  const off: StageRate[] = []
  const on: StageRate[] = []
  let scrapes = 0
  for (let round = 1; round <= ROUNDS; round++) {
    const offLabel = `metrics-off-${round}`
    step(`metrics-off-${round}`, `[${inputs.client}] pipeline --stage all without --metrics (round ${round})`)
    off.push(await endToEnd(inputs, `${inputs.runId}-${inputs.client}-${offLabel}`, 'auto', {label: offLabel}))
    const onLabel = `metrics-on-${round}`
    step(
      `metrics-on-${round}`,
      `[${inputs.client}] pipeline --stage all --metrics, scraped every second (round ${round})`,
    )
    const stopScraping = scrapeEverySecond(`http://127.0.0.1:${port}/metrics`)
    try {
      const runArgs = ['--metrics', '--metrics-port', String(port)]
      on.push(await endToEnd(inputs, `${inputs.runId}-${inputs.client}-${onLabel}`, 'auto', {label: onLabel, runArgs}))
    } finally {
      scrapes += stopScraping()
    }
  }
  const ratio = median(on.map((r) => r.recordsPerSec)) / median(off.map((r) => r.recordsPerSec))
  return {off, on, ratio, scrapes, goalMet: ratio >= 0.97}
}

/** One line for the bench's report. */
export function formatMetricsOverhead(result: MetricsOverhead): string {
  const rate = (runs: StageRate[]) => Math.round(median(runs.map((r) => r.recordsPerSec))).toLocaleString('en-US')
  const change = ((result.ratio - 1) * 100).toFixed(1)
  return (
    `metrics overhead: ${rate(result.off)} rec/s off, ${rate(result.on)} rec/s on (${change} %, ` +
    `${result.scrapes} scrapes; goal ≥ -3 %: ${result.goalMet ? 'met' : 'missed'})`
  )
}
