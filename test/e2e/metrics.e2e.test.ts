/**
 * End to end: `etl run --stage process --metrics` (the built CLI, its own broker on free ports) scraped every second
 * by a real Prometheus server. The topic is filled first by `etl run --stage source` (a finite replay) plus a few
 * messages that are not JSON; the process stage then works through it. Checked through Prometheus' query API: the
 * scraped counts equal the summary the run prints when stopped, dead letters carry their error code, the consumer
 * lag is 0 once caught up, every written record is timed from its event time and the candles' state size is exported.
 * /readyz is 503 until the group assigned the partitions, 200 after, 503 while the broker is stopped and 200 again
 * once it is back.
 */
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel} from 'kafkajs'
import {createLogger} from '../../src/runtime/logger.js'
import {startLocalBroker, stopLocalBroker} from '../../src/runtime/kafka-local/local-broker.js'
import {freePorts} from '../support/global-broker.js'
import type {ReadinessCheck} from '../../src/runtime/metrics/readiness.js'
import {TestPrometheus} from '../support/prometheus.js'
import {buildCli, REPO, runEtl, spawnEtl, type RunningEtl} from '../support/run-cli.js'

const HISTORY = join(REPO, 'data', 'btcusd-5m-2011.csv')
const ROWS = 3000
const NOT_JSON = 3
const TOPIC = 'metrics_prices'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function eventually<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
  cli?: RunningEtl,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (cli && cli.child.exitCode !== null)
      throw new Error(`etl exited (${cli.child.exitCode}) while waiting for ${what}\n${cli.output.stderr}`)
    const result = await attempt().catch(() => undefined)
    if (result !== undefined) return result
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(250)
  }
}

/** The end-of-run summary: `  <scope> <event>  <count>` lines after `summary:`. */
function summaryOf(stderr: string): Map<string, number> {
  const rows = new Map<string, number>()
  for (const line of stderr.slice(stderr.lastIndexOf('summary:')).split('\n').slice(1)) {
    const match = /^ {2}(.+?)\s{2,}(\d+)$/.exec(line)
    if (match) rows.set(match[1].trim(), Number(match[2]))
  }
  return rows
}

async function readyz(
  base: string,
): Promise<{status: number; body: {ready: boolean; checks: Record<string, ReadinessCheck>}}> {
  const res = await fetch(`${base}/readyz`)
  return {status: res.status, body: (await res.json()) as {ready: boolean; checks: Record<string, ReadinessCheck>}}
}

describe('etl run --metrics scraped by a real Prometheus (end to end, its own broker)', function () {
  this.timeout(300_000)
  let cwd: string
  let brokerDir: string
  let prometheus: TestPrometheus | undefined
  const quiet = createLogger('test-broker', {level: 'error'})

  before(() => buildCli())
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-metrics-'))
    brokerDir = join(cwd, 'broker')
  })
  afterEach(async () => {
    await prometheus?.stop()
    await stopLocalBroker({stateDir: brokerDir, logger: quiet}).catch(() => undefined)
    await rm(cwd, {recursive: true, force: true})
  })

  it('exports the summary counts, lag 0 once caught up, readiness that follows assignment and broker', async () => {
    const [port, controllerPort, metricsPort, prometheusPort] = await freePorts(4)
    const brokers = `127.0.0.1:${port}`
    await startLocalBroker({stateDir: brokerDir, port, controllerPort, logger: quiet})
    const pipeline = join(cwd, 'metrics.yaml')
    writeFileSync(
      pipeline,
      [
        'name: metrics',
        'kafka:',
        `  brokers: ${brokers}`,
        `  topic: ${TOPIC}`,
        '  partitions: 2',
        'source:',
        '  type: replay',
        `  path: ${HISTORY}`,
        '  speed: 0',
        `  limit: ${ROWS}`,
        'metrics:',
        '  eventTime: [timestamp]',
        'transforms:',
        '  - type: ohlc',
        '    size: 1d',
        '    passThrough: true',
        'sinks:',
        '  - type: csv',
        '    where: window_start == null',
        '    path: out.csv',
        '    columns: [timestamp, price_usd]',
      ].join('\n'),
    )
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
    delete env.ETL_LOG_LEVEL

    // The topic first: the replay (finite, so this run ends by itself), then records no stage can decode.
    const filled = await runEtl(['run', pipeline, '--stage', 'source', '--no-local-broker'], {cwd, env})
    expect(filled.code, filled.stderr).to.equal(0)
    expect(summaryOf(filled.stderr).get('source replay produced')).to.equal(ROWS)
    const producer = new Kafka({
      clientId: 'etl-test-metrics',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    }).producer()
    await producer.connect()
    await producer.send({topic: TOPIC, messages: Array.from({length: NOT_JSON}, (_, i) => ({value: `not json ${i}`}))})
    await producer.disconnect()

    prometheus = await TestPrometheus.start({dir: cwd, port: prometheusPort, target: `127.0.0.1:${metricsPort}`})
    const base = `http://127.0.0.1:${metricsPort}`
    const args = ['run', pipeline, '--stage', 'process', '--no-local-broker', '--metrics', '--metrics-port']
    const cli = spawnEtl([...args, String(metricsPort)], {cwd, env})
    try {
      await eventually('the metrics URL in the log', 60_000, async () =>
        cli.output.stderr.includes(`metrics at ${base}/metrics`) ? true : undefined,
      )
      // Before the group assigned the partitions: not ready, saying so, and the whole topic is lag.
      const first = await readyz(base)
      expect(first.status, JSON.stringify(first.body)).to.equal(503)
      expect(first.body.checks.assignment.ok).to.equal(false)
      expect((await fetch(`${base}/healthz`)).status).to.equal(200)
      // Lag is read from Kafka at scrape time with a 2 s time-out; on a busy machine a scrape while the stage sets up
      // (creates its state topic) can leave it out, so look again. Nothing is committed yet: the whole topic is lag.
      const lagBefore = await eventually(
        'the lag series before the first commit',
        20_000,
        async () => {
          const exposition = await (await fetch(`${base}/metrics`)).text()
          const lagLines = [...exposition.matchAll(/^etl_consumer_lag_records\{[^}]*\} (\d+)$/gm)]
          return lagLines.length > 0 ? lagLines.reduce((sum, match) => sum + Number(match[1]), 0) : undefined
        },
        cli,
      )
      expect(lagBefore).to.be.greaterThan(ROWS)

      const ready = await eventually(
        '/readyz to be ready',
        60_000,
        async () => {
          const answer = await readyz(base)
          return answer.status === 200 ? answer : undefined
        },
        cli,
      )
      expect(ready.body.checks).to.deep.include({kafka: ready.body.checks.kafka})
      expect(ready.body.checks.sinks).to.deep.equal({ok: true, open: 1})

      // Caught up, as Prometheus sees it: everything consumed and no lag on either partition.
      await eventually(
        'Prometheus to see every record consumed',
        90_000,
        async () => {
          const [consumed] = await prometheus!.query('etl_records_total{pipeline="metrics",outcome="consumed"}')
          return consumed?.value === ROWS + NOT_JSON ? true : undefined
        },
        cli,
      )
      const lag = await eventually(
        'Prometheus to see lag 0 on both partitions',
        60_000,
        async () => {
          const samples = await prometheus!.query('etl_consumer_lag_records{pipeline="metrics"}')
          return samples.length === 2 && samples.every((s) => s.value === 0) ? samples : undefined
        },
        cli,
      )
      expect(lag.map((s) => s.metric.partition).sort()).to.deep.equal(['0', '1'])
      expect(lag.every((s) => s.metric.topic === TOPIC)).to.equal(true)

      const scraped = await prometheus.query('sum by (stage, plugin, outcome) (etl_records_total{pipeline="metrics"})')
      const deadLetters = await prometheus.query('etl_records_total{pipeline="metrics",outcome="dead_lettered"}')
      const flushes = await prometheus.query('etl_sink_flush_duration_seconds_count{pipeline="metrics",plugin="csv"}')
      const batches = await prometheus.query('etl_process_batch_duration_seconds_count{pipeline="metrics"}')
      const latencies = await prometheus.query('etl_event_latency_seconds_count{pipeline="metrics",plugin="csv"}')
      // The replay's events are from 2011: every record lands in the last bucket, +Inf, none in the hour bucket.
      const withinHour = await prometheus.query(
        'etl_event_latency_seconds_bucket{pipeline="metrics",plugin="csv",le="3600"}',
      )
      const stateBytes = await prometheus.query('etl_transform_state_bytes{pipeline="metrics",plugin="ohlc"}')

      // The broker goes away: /readyz says so within a few probes, and recovers when it is back.
      await stopLocalBroker({stateDir: brokerDir, logger: quiet})
      const down = await eventually(
        '/readyz to be not ready while the broker is stopped',
        30_000,
        async () => {
          const answer = await readyz(base)
          return answer.status === 503 ? answer : undefined
        },
        cli,
      )
      expect(down.body.checks.kafka.ok).to.equal(false)
      expect(down.body.checks.kafka.reason).to.match(/^Kafka does not answer: /)
      await startLocalBroker({stateDir: brokerDir, port, controllerPort, logger: quiet})
      await eventually(
        '/readyz to be ready again once the broker is back',
        60_000,
        async () => {
          const answer = await readyz(base)
          return answer.status === 200 ? answer : undefined
        },
        cli,
      )

      cli.child.kill('SIGINT')
      const {code} = await cli.exited
      expect(code, cli.output.stderr).to.equal(0)
      const summary = summaryOf(cli.output.stderr)
      expect(summary.get('process consumed')).to.equal(ROWS + NOT_JSON)
      expect(summary.get('sink csv written')).to.equal(ROWS)
      expect(summary.get('process dead_lettered')).to.equal(NOT_JSON)
      const fromPrometheus = new Map(
        scraped.map((s) => [
          `${[s.metric.stage, s.metric.plugin].filter(Boolean).join(' ')} ${s.metric.outcome}`,
          s.value,
        ]),
      )
      expect(Object.fromEntries(fromPrometheus)).to.deep.equal(Object.fromEntries(summary))
      expect(deadLetters.map((s) => [s.metric.code, s.value])).to.deep.equal([['ETL_RECORD_INVALID', NOT_JSON]])
      expect(flushes[0]?.value).to.be.greaterThan(0)
      expect(batches[0]?.value).to.be.greaterThan(0)
      expect(latencies.map((l) => l.value)).to.deep.equal([ROWS])
      expect(withinHour.map((l) => l.value)).to.deep.equal([0])
      // The candles' state: the day's open window of the one series, so some hundreds of bytes.
      expect(stateBytes).to.have.length(1)
      expect(stateBytes[0].value).to.be.within(50, 10_000)
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
    }
  })
})
