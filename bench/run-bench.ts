/**
 * `npm run bench`: the pipeline's throughput, latency and memory, measured in one run against Kafka's own limit on the
 * same broker and machine, so every figure is read as a ratio to that limit rather than as a bare time. Not a test:
 * nothing asserts a time; targets are reported as met or not.
 *
 *   npm run bench                     1,000,000 records, 60 s per latency rate, 10 min of memory
 *   npm run bench -- --quick          100,000 records, 20 s per latency rate, 1 min of memory
 *   npm run bench -- --records 500000 --memory-minutes 30 --rates 100,1000 --only throughput,latency --no-profile
 *   npm run bench -- --clients platformatic   the throughput section with these Kafka clients only (default: both)
 *   npm run bench -- --only cluster   a 3-node RF=3 cluster beside the single broker (bench/scenarios/cluster.ts)
 *
 * It starts its own broker on free ports and stops it at the end, on errors and on Ctrl-C. Figures go to stdout and
 * to bench/results/pipeline-<time>.json. See docs/BENCHMARKS.md.
 *
 * The sections are in bench/scenarios/, what they share in bench/lib/; SECTIONS and RUN_SECTION below wire them in.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {createMessageBus, KAFKA_CLIENTS, type KafkaClientName} from '../src/runtime/kafka/create-bus.js'
import type {MessageBus} from '../src/runtime/kafka/message-bus.js'
import {createLogger} from '../src/runtime/logger.js'
import {freePorts} from '../test/support/global-broker.js'
import {startBenchBroker, type BenchBroker} from './lib/bench-broker.js'
import type {BenchStep} from './lib/bench-step.js'
import {killChildren} from './lib/child-processes.js'
import {ROOT} from './lib/etl-process.js'
import {measureRecordSize} from './lib/record-size.js'
import {evaluateTargets, formatReport, loadNow, machineInfo, writeResults, type BenchResults} from './lib/report.js'
import {clusterThroughput, formatClusterThroughput, type ClusterThroughput} from './scenarios/cluster.js'
import {exchangeTrades, formatExchangeTrades, type ExchangeLatency} from './scenarios/exchange-trades.js'
import {dashboardBench, formatDashboard, type DashboardBench} from './scenarios/dashboard.js'
import {kafkaLimit} from './scenarios/kafka-limit.js'
import {latencyAtRates} from './scenarios/latency.js'
import {formatMetricsOverhead, metricsOverhead, type MetricsOverhead} from './scenarios/metrics-overhead.js'
import {memoryRun} from './scenarios/memory.js'
import {profileStages} from './scenarios/profile.js'
import {formatStartup, measureStartup, type StartupResults} from './scenarios/startup.js'
import {formatStorage, storageSinks, type StorageResults} from './scenarios/storage-sinks.js'
import {clientThroughput, THROUGHPUT_PIPELINE, type ThroughputInputs} from './scenarios/throughput.js'

/** The sections in the order they run; --only picks some of them. */
const SECTIONS = [
  'limit',
  'throughput',
  'profile',
  'metrics',
  'latency',
  'memory',
  'startup',
  'storage',
  'exchange',
  'cluster',
  'dashboard',
] as const
type Section = (typeof SECTIONS)[number]

const {values: flags} = parseArgs({
  allowNegative: true,
  options: {
    quick: {type: 'boolean', default: false},
    records: {type: 'string'},
    'latency-seconds': {type: 'string'},
    'memory-minutes': {type: 'string'},
    rates: {type: 'string'},
    data: {type: 'string'},
    only: {type: 'string'},
    profile: {type: 'boolean', default: true},
    clients: {type: 'string', default: KAFKA_CLIENTS.join(',')},
  },
})

const positive = (name: string, text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, not ${JSON.stringify(text)}`)
  return value
}

const quick = flags.quick
const options = {
  quick,
  records: Math.round(positive('records', flags.records, quick ? 100_000 : 1_000_000)),
  latencySeconds: positive('latency-seconds', flags['latency-seconds'], quick ? 20 : 60),
  // The consumer joins its group while the first records are produced; those few seconds are not steady state.
  latencyWarmupSeconds: 5,
  rates: (flags.rates ?? '100,1000,10000').split(',').map((rate) => positive('rates', rate, 0)),
  memoryMinutes: positive('memory-minutes', flags['memory-minutes'], quick ? 1 : 10),
  memoryRate: 1000,
  memorySampleSec: quick ? 2 : 5,
  dataFile: join(ROOT, flags.data ?? 'data/btcusd-5m-2011.csv'),
  // The throughput section runs once per client; the other sections use kafkajs, the default client.
  clients: flags.clients.split(',').map((client) => client.trim()) as KafkaClientName[],
  sections: (flags.only?.split(',') ?? SECTIONS.filter((s) => s !== 'profile' || flags.profile)) as Section[],
}
for (const section of options.sections)
  if (!SECTIONS.includes(section)) throw new Error(`--only: unknown section ${section} (${SECTIONS.join(', ')})`)
for (const client of options.clients)
  if (!KAFKA_CLIENTS.includes(client))
    throw new Error(`--clients: unknown client ${client} (${KAFKA_CLIENTS.join(', ')})`)

// kafkajs 2.2.4 passes a negative timeout to setTimeout on Node >= 24 (clamped to 1 ms, harmless), as bin/run.js notes.
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`)
})

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)

let interrupted = false
function onSignal(signal: NodeJS.Signals) {
  if (interrupted) {
    log(`${signal} again: exiting now`)
    process.exit(130) // the exit hooks kill the children and the broker's process group
  }
  interrupted = true
  log(`${signal}: stopping the running step, then the broker (send it again to force)`)
  killChildren('SIGKILL')
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

/** What every section gets: the bench's broker, where to write, and the results so far (which it adds to). */
interface BenchRun {
  broker: BenchBroker
  bus: MessageBus
  runId: string
  workDir: string
  /** Rows in options.dataFile. */
  dataRows: number
  results: BenchResults
  step: BenchStep
}

/** The throughput pipeline's runs with one Kafka client (the throughput and profile sections). */
function throughputInputs(bench: BenchRun, client: KafkaClientName): ThroughputInputs {
  return {
    brokers: bench.broker.brokers,
    bus: bench.bus,
    runId: bench.runId,
    records: options.records,
    dataFile: options.dataFile,
    dataRows: bench.dataRows,
    workDir: bench.workDir,
    client,
  }
}

/** How each section runs and where its figures go in the results. */
const RUN_SECTION: Record<Section, (bench: BenchRun) => Promise<void>> = {
  async limit({broker, bus, runId, workDir, results, step}) {
    step('limit', 'Kafka ProducerPerformance + ConsumerPerformance')
    results.kafka = await kafkaLimit({
      libs: broker.libs,
      brokers: broker.brokers,
      bus,
      topic: `${runId}-kafka-perf`,
      records: options.records,
      recordSize: results.recordSize!.meanBytes,
      batchRecords: results.recordSize!.sourceBatchSize,
      workDir,
    })
  },
  async throughput(bench) {
    const {results} = bench
    results.clients = []
    for (const client of options.clients)
      results.clients.push(await clientThroughput(throughputInputs(bench, client), results.kafka, bench.step))
    // The targets and earlier reports read these: the default client's figures.
    const reference = results.clients.find((c) => c.client === 'kafkajs') ?? results.clients[0]
    results.pipeline = reference?.pipeline
    results.ratios = reference?.ratios
  },
  async profile(bench) {
    const replayFilled = bench.results.clients?.some((c) => c.client === 'kafkajs') ?? false
    Object.assign(bench.results, await profileStages(throughputInputs(bench, 'kafkajs'), replayFilled, bench.step))
  },
  async metrics(bench) {
    const [port] = await freePorts(1)
    const overhead = await metricsOverhead(throughputInputs(bench, 'kafkajs'), bench.step, port)
    Object.assign(bench.results, {metricsOverhead: overhead} satisfies {metricsOverhead: MetricsOverhead})
    process.stdout.write(`\n${formatMetricsOverhead(overhead)}\n`)
  },
  async latency({broker, runId, workDir, results, step}) {
    const inputs = {
      brokers: broker.brokers,
      runId,
      dataFile: options.dataFile,
      workDir,
      seconds: options.latencySeconds,
      warmupSeconds: options.latencyWarmupSeconds,
    }
    results.latency.push(...(await latencyAtRates(inputs, options.rates, step)))
  },
  async memory({broker, runId, workDir, results, step}) {
    step('memory', `memory at ${options.memoryRate} records/s for ${options.memoryMinutes} min`)
    results.memory = await memoryRun({
      brokers: broker.brokers,
      runId,
      dataFile: options.dataFile,
      workDir,
      rate: options.memoryRate,
      minutes: options.memoryMinutes,
      sampleEverySec: options.memorySampleSec,
    })
  },
  async startup({results, step}) {
    step('startup', 'start-up of etl --version, validate and plugins (the built CLI, as child processes)')
    const startup = await measureStartup(options.quick ? 3 : 7, log)
    Object.assign(results, {startup} satisfies {startup: StartupResults})
    process.stdout.write(`\n${formatStartup(startup)}\n`)
  },
  async storage({results, step}) {
    step('storage', 'the postgres sink against psql \\copy, the parquet sink beside the csv sink (no broker)')
    const storage = await storageSinks(options.quick ? 20_000 : 100_000, log)
    Object.assign(results, {storage} satisfies {storage: StorageResults})
    process.stdout.write(`\n${formatStorage(storage)}\n`)
  },
  async exchange({broker, runId, workDir, results, step}) {
    const inputs = {brokers: broker.brokers, runId, workDir, seconds: options.quick ? 5 : 20}
    const exchange = await exchangeTrades(inputs, [1000, 10_000, 30_000], step)
    Object.assign(results, {exchange} satisfies {exchange: ExchangeLatency[]})
    process.stdout.write(`\n${formatExchangeTrades(exchange)}\n`)
  },
  async dashboard({results, step}) {
    // No broker needed: the chart plugin and the dashboard server in this process, the page in headless Chromium.
    const seconds = options.quick ? 20 : 60
    step('dashboard', `the live dashboard in Chromium: 5 charts × 10k points, 10 rows/s per series, ${seconds} s`)
    const dashboard: DashboardBench[] = []
    for (const height of [1000, 2400]) dashboard.push(await dashboardBench(seconds, height, log))
    Object.assign(results, {dashboard} satisfies {dashboard: DashboardBench[]})
    process.stdout.write(`\n${dashboard.map(formatDashboard).join('\n')}\n`)
  },
  async cluster(bench) {
    const cluster = await clusterThroughput(throughputInputs(bench, 'kafkajs'), bench.step)
    Object.assign(bench.results, {cluster} satisfies {cluster: ClusterThroughput})
    process.stdout.write(`\n${formatClusterThroughput(cluster)}\n`)
  },
}

/** The mean size of the throughput pipeline's records, which Kafka's tools are given as their record size. */
async function recordSize(bench: BenchRun): Promise<void> {
  const replayVars = {
    BENCH_NAME: 'record-size',
    BENCH_TOPIC: 'unused',
    BENCH_GROUP: 'unused',
    BENCH_DATA: options.dataFile,
    BENCH_LOOPS: 1,
    BENCH_RECORDS: bench.dataRows,
    BENCH_OUT: join(bench.workDir, 'unused.csv'),
  }
  const size = await measureRecordSize(THROUGHPUT_PIPELINE, replayVars)
  bench.results.recordSize = size
  log(`record size ${size.meanBytes} B (mean of ${size.sampled} replayed records)`)
}

async function startBus(broker: BenchBroker): Promise<MessageBus> {
  const bus = await createMessageBus('kafkajs', {
    brokers: [broker.brokers],
    clientId: 'etl-bench',
    logger: createLogger('bench:kafka', {level: 'warn'}),
  })
  await bus.checkConnection()
  return bus
}

async function main(): Promise<number> {
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    options,
    machine: machineInfo(),
    load: {start: loadNow()},
    latency: [],
  }
  const workDir = mkdtempSync(join(tmpdir(), 'etl-bench-'))
  let broker: BenchBroker | undefined
  let bus: MessageBus | undefined
  const step: BenchStep = (section, what) => {
    if (interrupted) throw new Error('interrupted')
    results.load[section] = loadNow()
    log(`${what} (load ${results.load[section].join(' ')})`)
  }
  try {
    const records = options.records.toLocaleString('en-US')
    log(`starting a Kafka broker for the bench (${records} records; sections: ${options.sections.join(', ')})`)
    broker = await startBenchBroker()
    bus = await startBus(broker)
    log(`broker ${broker.brokers} (pid ${broker.pid})`)
    const dataRows = readFileSync(options.dataFile, 'utf8').trim().split('\n').length - 1
    const bench: BenchRun = {broker, bus, runId: `bench-${Date.now().toString(36)}`, workDir, dataRows, results, step}
    await recordSize(bench)
    for (const section of SECTIONS) if (options.sections.includes(section)) await RUN_SECTION[section](bench)
    results.load.end = loadNow()
    results.finishedAt = new Date().toISOString()
    results.targets = evaluateTargets(results)
    const file = writeResults(results)
    process.stdout.write('\n' + formatReport(results))
    log(`results written to ${file}`)
    return 0
  } catch (error) {
    log(interrupted ? 'interrupted' : `failed: ${(error as Error).stack ?? String(error)}`)
    killChildren('SIGKILL')
    return interrupted ? 130 : 1
  } finally {
    await bus?.close().catch(() => undefined)
    if (broker) {
      log('stopping the bench broker')
      await broker.stop().catch((error) => log(`stopping the broker failed: ${String(error)}`))
    }
    rmSync(workDir, {recursive: true, force: true})
  }
}

process.exitCode = await main()
// kafkajs can keep a socket open after its clients disconnected; the bench is over.
process.exit()
