/**
 * Pipeline throughput, three ways, so the bottleneck shows: produce only (`--stage source`), consume + transform +
 * sink only (`--stage process` over the topic the first run filled) and both stages in one process (`--stage all`,
 * on a fresh topic). Each is timed from the CLI's "pipeline …" log line (connected, topic ready, stages starting: Node
 * and oclif start-up are left out, as the JVM's are for Kafka's tools) to the moment the work is done.
 */
import {join} from 'node:path'
import type {KafkaClientName} from '../../src/runtime/kafka/create-bus.js'
import type {MessageBus} from '../../src/runtime/kafka/message-bus.js'
import {sleep} from '../../src/runtime/retry.js'
import type {BenchStep} from '../lib/bench-step.js'
import {ROOT, startEtl, type EtlRun} from '../lib/etl-process.js'
import {rssMb} from '../lib/process-rss.js'
import type {KafkaLimit} from './kafka-limit.js'

export const THROUGHPUT_PIPELINE = join(ROOT, 'bench/pipelines/throughput.yaml')
const POLL_MS = 100
const RSS_EVERY_MS = 200

export interface StageRate {
  /** Milliseconds from spawning the CLI to its "pipeline …" line (start-up), and to the work being done. */
  startupMs: number
  doneMs: number
  /** `--until-caught-up` runs: from spawning the CLI to its exit (shutdown included), what a batch job takes. */
  exitMs?: number
  records: number
  seconds: number
  recordsPerSec: number
  /** Highest RSS sampled (every 200 ms) during the run; for two processes, of both together. */
  peakRssMb: number
  counters: Record<string, number>
}

export interface ThroughputInputs {
  brokers: string
  bus: MessageBus
  runId: string
  records: number
  dataFile: string
  /** Rows in dataFile, to size the replay's loop. */
  dataRows: number
  workDir: string
  /** The pipeline's kafka.client: the Kafka client library the timed runs use. */
  client: KafkaClientName
}

/** The source entry's `worker:` key: `auto` (the default; on for this replay at speed 0 with both stages) or off. */
export type SourceWorkerSetting = 'auto' | false

function vars(inputs: ThroughputInputs, name: string, topic: string, sourceWorker: SourceWorkerSetting = 'auto') {
  return {
    BENCH_NAME: name,
    BENCH_TOPIC: topic,
    BENCH_GROUP: `${name}-group`,
    BENCH_DATA: inputs.dataFile,
    BENCH_LOOPS: Math.ceil(inputs.records / inputs.dataRows),
    BENCH_RECORDS: inputs.records,
    BENCH_OUT: join(inputs.workDir, `${name}.csv`),
    BENCH_CLIENT: inputs.client,
    BENCH_SOURCE_WORKER: String(sourceWorker),
  }
}

/**
 * Polls the group's committed offsets until every partition that holds records is committed to its end: the process
 * stage commits a batch only after its sinks flushed, so this is the moment the last record is written (a run with
 * --until-caught-up stops by itself just after it; the poll times the moment itself, as when SIGINT stopped the run).
 */
async function committedThrough(
  run: EtlRun,
  bus: MessageBus,
  group: string,
  topic: string,
  end: Map<number, bigint>,
): Promise<number> {
  let failed: unknown
  run.exited.catch((error) => (failed = error))
  for (;;) {
    if (failed) throw failed
    const committed = await bus.committedOffsets(group, topic)
    const done = [...end].every(([partition, offset]) => offset === 0n || (committed.get(partition) ?? -1n) >= offset)
    if (done) return Date.now()
    await sleep(POLL_MS)
  }
}

/** Samples the processes' summed RSS until stopped; returns the highest. */
function peakRss(runs: EtlRun[]): () => number {
  let peak = 0
  const timer = setInterval(() => {
    const total = runs.reduce((sum, run) => sum + (rssMb(run.pid) ?? 0), 0)
    if (total > peak) peak = total
  }, RSS_EVERY_MS)
  return () => {
    clearInterval(timer)
    return peak
  }
}

function rate(
  run: EtlRun,
  records: number,
  startedAt: number,
  endedAt: number,
  counters: Map<string, number>,
  peakRssMb: number,
): StageRate {
  const seconds = (endedAt - startedAt) / 1000
  const since = (time: number) => time - run.spawnedAt
  return {
    startupMs: since(startedAt),
    doneMs: since(endedAt),
    records,
    seconds,
    recordsPerSec: records / seconds,
    peakRssMb,
    counters: Object.fromEntries(counters),
  }
}

function expectCount(counters: Map<string, number>, key: string, expected: number): void {
  const actual = counters.get(key)
  if (actual !== expected) throw new Error(`expected ${key} = ${expected}, the run reported ${actual ?? 'nothing'}`)
}

export async function produceOnly(
  inputs: ThroughputInputs,
  topic: string,
  label = 'produce',
  nodeArgs: string[] = [],
): Promise<StageRate> {
  const name = `${inputs.runId}-${inputs.client}-${label}`
  const run = startEtl({
    pipeline: THROUGHPUT_PIPELINE,
    stage: 'source',
    brokers: inputs.brokers,
    vars: vars(inputs, name, topic),
    stateDir: join(inputs.workDir, 'state'),
    nodeArgs,
  })
  const peak = peakRss([run])
  const started = await run.logged('pipeline ')
  const finished = await run.logged('source finished')
  const {counters} = await run.exited
  expectCount(counters, 'source replay produced', inputs.records)
  return rate(run, inputs.records, started, finished, counters, peak())
}

/**
 * Consumes `topic` (filled by produceOnly) in a new group with `--until-caught-up`: the run stops by itself at the
 * end offsets it read at its start. Timed, as before the flag existed, to the moment the group's commits reach them.
 */
export async function processOnly(
  inputs: ThroughputInputs,
  topic: string,
  label: string,
  nodeArgs: string[] = [],
): Promise<StageRate> {
  const name = `${inputs.runId}-${inputs.client}-${label}`
  const v = vars(inputs, name, topic)
  const end = await inputs.bus.endOffsets(topic)
  const run = startEtl({
    pipeline: THROUGHPUT_PIPELINE,
    stage: 'process',
    brokers: inputs.brokers,
    vars: v,
    stateDir: join(inputs.workDir, 'state'),
    nodeArgs,
    runArgs: ['--until-caught-up'],
  })
  const peak = peakRss([run])
  const started = await run.logged('pipeline ')
  const finished = await committedThrough(run, inputs.bus, v.BENCH_GROUP, topic, end)
  const {counters, endedAt} = await run.exited
  expectCount(counters, 'process consumed', inputs.records)
  return {...rate(run, inputs.records, started, finished, counters, peak()), exitMs: endedAt - run.spawnedAt}
}

/**
 * The group has committed all `records` of a fresh topic. Offsets count records plus one commit marker per source
 * transaction, so a sum of offsets ≥ records is necessary but not enough: the committed offsets must also have reached
 * the topic's end offsets read at the same moment (the consumer commits past a final marker too).
 */
async function committedTotal(
  runs: EtlRun[],
  bus: MessageBus,
  group: string,
  topic: string,
  records: number,
): Promise<number> {
  let failed: unknown
  for (const run of runs) run.exited.catch((error) => (failed = error))
  for (;;) {
    if (failed) throw failed
    const committed = await bus.committedOffsets(group, topic)
    const total = [...committed.values()].reduce((sum, offset) => sum + (offset > 0n ? offset : 0n), 0n)
    if (total >= BigInt(records)) {
      const end = await bus.endOffsets(topic)
      if ([...end].every(([partition, offset]) => offset === 0n || (committed.get(partition) ?? -1n) >= offset))
        return Date.now()
    }
    await sleep(POLL_MS)
  }
}

/**
 * Both stages in one process on a fresh topic; the run ends by itself once the replay is processed. As shipped
 * (`worker: auto`) the source stage runs in a worker thread of that process; with `false`, on the same thread.
 */
export async function endToEnd(
  inputs: ThroughputInputs,
  topic: string,
  sourceWorker: SourceWorkerSetting = 'auto',
  /** `label` names the run's pipeline (and so its group and state topics): give each run on a fresh topic its own. */
  options: {label?: string; runArgs?: string[]} = {},
): Promise<StageRate> {
  const label = options.label ?? (sourceWorker === 'auto' ? 'all' : 'all-one-thread')
  const name = `${inputs.runId}-${inputs.client}-${label}`
  const v = vars(inputs, name, topic, sourceWorker)
  const run = startEtl({
    pipeline: THROUGHPUT_PIPELINE,
    stage: 'all',
    brokers: inputs.brokers,
    vars: v,
    stateDir: join(inputs.workDir, 'state'),
    runArgs: options.runArgs,
  })
  const peak = peakRss([run])
  const started = await run.logged('pipeline ')
  // The replay is keyed by one symbol, so its records land on one partition, but which one is the partitioner's
  // choice: wait until the committed offsets add up to N.
  const finished = await committedTotal([run], inputs.bus, v.BENCH_GROUP, topic, inputs.records)
  const {counters} = await run.exited
  expectCount(counters, 'source replay produced', inputs.records)
  expectCount(counters, 'process consumed', inputs.records)
  return rate(run, inputs.records, started, finished, counters, peak())
}

/**
 * The same end-to-end work with `--stage source` and `--stage process` as two processes at once, as the CLI already
 * allows: one Node thread each instead of one for both, on a fresh topic. Timed from the earlier "pipeline …" line.
 */
export async function splitStages(inputs: ThroughputInputs, topic: string): Promise<StageRate> {
  const name = `${inputs.runId}-${inputs.client}-split`
  const v = vars(inputs, name, topic)
  const common = {
    pipeline: THROUGHPUT_PIPELINE,
    brokers: inputs.brokers,
    vars: v,
    stateDir: join(inputs.workDir, 'state'),
  }
  // The process stage first, so the topic exists before either logs "pipeline …" (both create it if missing).
  const processRun = startEtl({...common, stage: 'process'})
  await processRun.logged('pipeline ')
  const sourceRun = startEtl({...common, stage: 'source'})
  const peak = peakRss([processRun, sourceRun])
  const sourceStarted = await sourceRun.logged('pipeline ')
  const finished = await committedTotal([processRun, sourceRun], inputs.bus, v.BENCH_GROUP, topic, inputs.records)
  processRun.child.kill('SIGINT')
  const [source, processed] = await Promise.all([sourceRun.exited, processRun.exited])
  expectCount(source.counters, 'source replay produced', inputs.records)
  expectCount(processed.counters, 'process consumed', inputs.records)
  const counters = new Map([...source.counters, ...processed.counters])
  // Timed from the source's start, as in the other runs: before it the process stage only waits.
  return rate(sourceRun, inputs.records, sourceStarted, finished, counters, peak())
}

/** The throughput section's figures with one Kafka client library (`kafka.client` of the pipeline). */
export interface ClientThroughput {
  client: string
  pipeline: {
    produce?: StageRate
    process?: StageRate
    all?: StageRate
    allWorker?: StageRate
    allOneThread?: StageRate
    split?: StageRate
  }
  /** Each run against the same Kafka limit (absent without the limit section). */
  ratios?: Record<string, number>
}

/** The topic the produce-only run of `client` fills and the process-only run reads. */
export function replayTopic(runId: string, client: KafkaClientName): string {
  return `${runId}-${client}-replay`
}

/** Every throughput run with one Kafka client, in order, each against the limit when it was measured. */
export async function clientThroughput(
  inputs: ThroughputInputs,
  kafka: KafkaLimit | undefined,
  step: BenchStep,
): Promise<ClientThroughput> {
  const {client, runId} = inputs
  step(`produce-${client}`, `[${client}] pipeline --stage source`)
  const produce = await produceOnly(inputs, replayTopic(runId, client))
  step(`process-${client}`, `[${client}] pipeline --stage process over the filled topic`)
  const processed = await processOnly(inputs, replayTopic(runId, client), 'process')
  step(
    `all-${client}`,
    `[${client}] pipeline --stage all (as shipped: worker auto, so the source in a worker thread) on a fresh topic`,
  )
  const all = await endToEnd(inputs, `${runId}-${client}-all`)
  step(
    `all-one-thread-${client}`,
    `[${client}] pipeline --stage all with source.worker: false (one thread) on a fresh topic`,
  )
  const allOneThread = await endToEnd(inputs, `${runId}-${client}-all-one-thread`, false)
  step(`split-${client}`, `[${client}] pipeline --stage source and --stage process as two processes, on a fresh topic`)
  const split = await splitStages(inputs, `${runId}-${client}-split`)
  const ratios = kafka && {
    produceVsKafka: produce.recordsPerSec / kafka.produce.recordsPerSec,
    processVsKafka: processed.recordsPerSec / kafka.consume.fetchRecordsPerSec,
    endToEndVsKafka: all.recordsPerSec / kafka.combinedPerSec,
    endToEndOneThreadVsKafka: allOneThread.recordsPerSec / kafka.combinedPerSec,
    splitVsKafka: split.recordsPerSec / kafka.combinedPerSec,
  }
  return {client, pipeline: {produce, process: processed, all, allOneThread, split}, ratios}
}
