/**
 * `npm run bench`: the pipeline's throughput, latency and memory, measured in one run against Kafka's own limit on the
 * same broker and machine, so every figure is read as a ratio to that limit rather than as a bare time. Not a test:
 * nothing asserts a time; targets are reported as met or not.
 *
 *   npm run bench                     1,000,000 records, 60 s per latency rate, 10 min of memory
 *   npm run bench -- --quick          100,000 records, 20 s per latency rate, 1 min of memory
 *   npm run bench -- --records 500000 --memory-minutes 30 --rates 100,1000 --only throughput,latency --no-profile
 *   npm run bench -- --clients platformatic   the throughput section with these Kafka clients only (default: both)
 *
 * It starts its own broker on free ports and stops it at the end, on errors and on Ctrl-C. Figures go to stdout and
 * to bench/results/pipeline-<time>.json. See docs/BENCHMARKS.md.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {createMessageBus, KAFKA_CLIENTS, type KafkaClientName} from '../src/runtime/kafka/create-bus.js'
import type {MessageBus} from '../src/runtime/kafka/message-bus.js'
import {createLogger} from '../src/runtime/logger.js'
import {startBenchBroker, type BenchBroker} from './bench-broker.js'
import {killChildren} from './child-processes.js'
import {newestProfile, summarizeProfile} from './cpu-profile.js'
import {ROOT} from './etl-process.js'
import {kafkaLimit} from './kafka-perf.js'
import {latencyAt} from './latency.js'
import {memoryRun} from './memory.js'
import {measureRecordSize} from './record-size.js'
import {
  evaluateTargets,
  formatReport,
  loadNow,
  machineInfo,
  writeResults,
  type BenchResults,
  type ClientThroughput,
} from './report.js'
import {
  endToEnd,
  processOnly,
  produceOnly,
  splitStages,
  THROUGHPUT_PIPELINE,
  type ThroughputInputs,
} from './throughput.js'

const SECTIONS = ['limit', 'throughput', 'profile', 'latency', 'memory'] as const
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
const wants = (section: Section) => options.sections.includes(section)
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

async function main(): Promise<number> {
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    options,
    machine: machineInfo(),
    load: {start: loadNow()},
    latency: [],
  }
  const runId = `bench-${Date.now().toString(36)}`
  const workDir = mkdtempSync(join(tmpdir(), 'etl-bench-'))
  const dataRows = readFileSync(options.dataFile, 'utf8').trim().split('\n').length - 1
  let broker: BenchBroker | undefined
  let bus: MessageBus | undefined
  const step = (section: string, what: string) => {
    if (interrupted) throw new Error('interrupted')
    results.load[section] = loadNow()
    log(`${what} (load ${results.load[section].join(' ')})`)
  }
  try {
    log(
      `starting a Kafka broker for the bench (${options.records.toLocaleString('en-US')} records; sections: ${options.sections.join(', ')})`,
    )
    broker = await startBenchBroker()
    bus = await createMessageBus('kafkajs', {
      brokers: [broker.brokers],
      clientId: 'etl-bench',
      logger: createLogger('bench:kafka', {level: 'warn'}),
    })
    await bus.checkConnection()
    log(`broker ${broker.brokers} (pid ${broker.pid})`)

    const replayVars = {
      BENCH_NAME: 'record-size',
      BENCH_TOPIC: 'unused',
      BENCH_GROUP: 'unused',
      BENCH_DATA: options.dataFile,
      BENCH_LOOPS: 1,
      BENCH_RECORDS: dataRows,
      BENCH_OUT: join(workDir, 'unused.csv'),
    }
    results.recordSize = await measureRecordSize(THROUGHPUT_PIPELINE, replayVars)
    log(`record size ${results.recordSize.meanBytes} B (mean of ${results.recordSize.sampled} replayed records)`)

    if (wants('limit')) {
      step('limit', 'Kafka ProducerPerformance + ConsumerPerformance')
      results.kafka = await kafkaLimit({
        libs: broker.libs,
        brokers: broker.brokers,
        bus,
        topic: `${runId}-kafka-perf`,
        records: options.records,
        recordSize: results.recordSize.meanBytes,
        batchRecords: results.recordSize.sourceBatchSize,
        workDir,
      })
    }

    const inputsFor = (client: KafkaClientName): ThroughputInputs => ({
      brokers: broker!.brokers,
      bus: bus!,
      runId,
      records: options.records,
      dataFile: options.dataFile,
      dataRows,
      workDir,
      client,
    })
    const inputs = inputsFor('kafkajs')
    const replayTopic = (client: KafkaClientName) => `${runId}-${client}-replay`
    if (wants('throughput')) {
      results.clients = []
      for (const client of options.clients) {
        const clientInputs = inputsFor(client)
        step(`produce-${client}`, `[${client}] pipeline --stage source`)
        const pipeline: ClientThroughput['pipeline'] = {produce: await produceOnly(clientInputs, replayTopic(client))}
        step(`process-${client}`, `[${client}] pipeline --stage process over the filled topic`)
        pipeline.process = await processOnly(clientInputs, replayTopic(client), 'process')
        step(
          `all-${client}`,
          `[${client}] pipeline --stage all (as shipped: worker auto, so the source in a worker thread) on a fresh topic`,
        )
        pipeline.all = await endToEnd(clientInputs, `${runId}-${client}-all`)
        step(
          `all-one-thread-${client}`,
          `[${client}] pipeline --stage all with source.worker: false (one thread) on a fresh topic`,
        )
        pipeline.allOneThread = await endToEnd(clientInputs, `${runId}-${client}-all-one-thread`, false)
        step(
          `split-${client}`,
          `[${client}] pipeline --stage source and --stage process as two processes, on a fresh topic`,
        )
        pipeline.split = await splitStages(clientInputs, `${runId}-${client}-split`)
        const k = results.kafka
        const ratios = k && {
          produceVsKafka: pipeline.produce!.recordsPerSec / k.produce.recordsPerSec,
          processVsKafka: pipeline.process.recordsPerSec / k.consume.fetchRecordsPerSec,
          endToEndVsKafka: pipeline.all.recordsPerSec / k.combinedPerSec,
          endToEndOneThreadVsKafka: pipeline.allOneThread.recordsPerSec / k.combinedPerSec,
          splitVsKafka: pipeline.split.recordsPerSec / k.combinedPerSec,
        }
        results.clients.push({client, pipeline, ratios})
      }
      // The targets and earlier reports read these: the default client's figures.
      const reference = results.clients.find((c) => c.client === 'kafkajs') ?? results.clients[0]
      results.pipeline = reference?.pipeline
      results.ratios = reference?.ratios
    }
    if (wants('profile')) {
      // Profiled runs are slower than the timed ones; only where the time goes is read from them.
      const dir = join(workDir, 'profile')
      step('profile', 'pipeline --stage process under node --cpu-prof')
      const processDir = join(dir, 'process')
      if (!results.clients?.some((c) => c.client === 'kafkajs')) await produceOnly(inputs, replayTopic('kafkajs'))
      const processed = await processOnly(inputs, replayTopic('kafkajs'), 'profile-process', [
        '--cpu-prof',
        '--cpu-prof-dir',
        processDir,
      ])
      const processWindow = {fromMs: processed.startupMs, toMs: processed.doneMs}
      const note = (stage: string, run: {recordsPerSec: number}) =>
        `--stage ${stage}, ${inputs.records} records at ${Math.round(run.recordsPerSec)} records/s while profiled`
      results.profile = {
        ...summarizeProfile(newestProfile(processDir), processWindow),
        note: note('process', processed),
      }
      step('profile-source', 'pipeline --stage source under node --cpu-prof')
      const sourceDir = join(dir, 'source')
      const produced = await produceOnly(inputs, `${runId}-profile-source`, 'profile-source', [
        '--cpu-prof',
        '--cpu-prof-dir',
        sourceDir,
      ])
      const sourceWindow = {fromMs: produced.startupMs, toMs: produced.doneMs}
      results.sourceProfile = {
        ...summarizeProfile(newestProfile(sourceDir), sourceWindow),
        note: note('source', produced),
      }
    }

    if (wants('latency')) {
      for (const rate of options.rates) {
        step(
          `latency-${rate}`,
          `latency at ${rate} records/s for ${options.latencySeconds} s (+${options.latencyWarmupSeconds} s warm-up)`,
        )
        results.latency.push(
          await latencyAt({
            brokers: broker.brokers,
            runId,
            dataFile: options.dataFile,
            workDir,
            rate,
            seconds: options.latencySeconds,
            warmupSeconds: options.latencyWarmupSeconds,
          }),
        )
      }
    }

    if (wants('memory')) {
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
    }

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
