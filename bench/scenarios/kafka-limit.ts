/**
 * Kafka's own limit on this machine: org.apache.kafka.tools.ProducerPerformance and ConsumerPerformance from the
 * kafka-tools jar the project already fetched, against the bench's broker, with the pipeline's record count and size.
 */
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {javaCommand} from '../../src/runtime/kafka-local/kafka-jars.js'
import type {MessageBus} from '../../src/runtime/kafka/message-bus.js'
import {track} from '../lib/child-processes.js'

export interface ProducerPerfResult {
  batchSizeBytes: number
  recordsPerSec: number
  mbPerSec: number
  avgLatencyMs: number
  p99LatencyMs?: number
  line: string
}

export interface ConsumerPerfResult {
  /** Over the tool's whole run (nMsg.sec), its start-up and group join included. */
  recordsPerSec: number
  /**
   * After the group join (fetch.nMsg.sec): the consumer's limit. The tool's join time is mostly its JVM loading
   * classes; leaving it out makes the limit higher and every ratio to it conservative.
   */
  fetchRecordsPerSec: number
  rebalanceMs: number
  mbPerSec: number
  line: string
}

export interface KafkaPerfOptions {
  libs: string
  brokers: string
  bus: MessageBus
  topic: string
  records: number
  recordSize: number
  /** Records per send of the pipeline's source; sizes the producer's batch.size. */
  batchRecords: number
  workDir: string
}

// The tools log through log4j2 like the broker; without a config it complains on every start. Warnings still show.
function log4jConfig(workDir: string): string {
  const file = join(workDir, 'tools-log4j2.properties')
  const lines = [
    'status = error',
    'appender.err.type = Console',
    'appender.err.name = STDERR',
    'appender.err.target = SYSTEM_ERR',
    'appender.err.layout.type = PatternLayout',
    'appender.err.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = warn',
    'rootLogger.appenderRef.err.ref = STDERR',
  ]
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

function runTool(options: KafkaPerfOptions, mainClass: string, args: string[]): Promise<string> {
  // The heap Kafka's own scripts give their tools, so the JVM does not size itself to a quarter of the machine.
  const jvm = ['-Xmx512M', `-Dlog4j2.configurationFile=${log4jConfig(options.workDir)}`, '-cp', join(options.libs, '*')]
  return new Promise((resolve, reject) => {
    const child = track(spawn(javaCommand(), [...jvm, mainClass, ...args], {stdio: ['ignore', 'pipe', 'pipe']}))
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout)
      reject(new Error(`${mainClass} failed (${signal ?? `exit ${code}`}):\n${stdout.slice(-2000)}\n${stderr}`))
    })
  })
}

/**
 * acks=all and idempotence, like the pipeline's producer (kafkajs idempotent: true, acks: -1); no compression either.
 * batch.size holds what the pipeline's source sends in one request (500 records ≈ 90 KB): the default 16 KB holds the
 * tool far below its rate, a limit the pipeline would beat for the wrong reason.
 */
export function batchBytes(options: Pick<KafkaPerfOptions, 'batchRecords' | 'recordSize'>): number {
  return Math.ceil((options.batchRecords * options.recordSize) / 1024) * 1024
}

export async function producerPerformance(options: KafkaPerfOptions): Promise<ProducerPerfResult> {
  const output = await runTool(options, 'org.apache.kafka.tools.ProducerPerformance', [
    '--bootstrap-server',
    options.brokers,
    '--topic',
    options.topic,
    '--num-records',
    String(options.records),
    '--record-size',
    String(options.recordSize),
    '--throughput',
    '-1',
    '--command-property',
    'acks=all',
    'enable.idempotence=true',
    'compression.type=none',
    `batch.size=${batchBytes(options)}`,
  ])
  // Progress lines have the same shape; the summary is the last one.
  const lines = output
    .trim()
    .split('\n')
    .filter((line) => / records sent, /.test(line))
  const line = lines[lines.length - 1] ?? ''
  const match =
    /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(line)
  if (!match) throw new Error(`unexpected ProducerPerformance output:\n${output}`)
  return {
    batchSizeBytes: batchBytes(options),
    recordsPerSec: Number(match[1]),
    mbPerSec: Number(match[2]),
    avgLatencyMs: Number(match[3]),
    p99LatencyMs: Number(match[4]),
    line,
  }
}

export async function consumerPerformance(options: KafkaPerfOptions, group: string): Promise<ConsumerPerfResult> {
  const output = await runTool(options, 'org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server',
    options.brokers,
    '--topic',
    options.topic,
    '--group',
    group,
    '--num-records',
    String(options.records),
    '--timeout',
    '30000',
  ])
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
  // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line =
    output
      .trim()
      .split('\n')
      .filter((l) => /^\d{4}-/.test(l))
      .pop() ?? ''
  const cells = line.split(',').map((cell) => cell.trim())
  if (cells.length < 10) throw new Error(`unexpected ConsumerPerformance output:\n${output}`)
  const consumed = Number(cells[4])
  if (consumed < options.records) throw new Error(`ConsumerPerformance read ${consumed} of ${options.records} records`)
  return {
    mbPerSec: Number(cells[3]),
    recordsPerSec: Number(cells[5]),
    rebalanceMs: Number(cells[6]),
    fetchRecordsPerSec: Number(cells[9]),
    line,
  }
}

/** Produce then consume, as the pipeline does: the rate at which N records get through both. */
export function combinedRate(producePerSec: number, consumePerSec: number): number {
  return 1 / (1 / producePerSec + 1 / consumePerSec)
}

/** Kafka's own rates on this machine, and what they allow a produce-then-consume pipeline. */
export interface KafkaLimit {
  produce: ProducerPerfResult
  consume: ConsumerPerfResult
  combinedPerSec: number
}

export async function kafkaLimit(options: KafkaPerfOptions): Promise<KafkaLimit> {
  // One partition: the replayed records all carry the key BTC, so the pipeline's data sits on one partition too.
  await options.bus.ensureTopic({topic: options.topic, partitions: 1, replicationFactor: 1})
  const produce = await producerPerformance(options)
  const consume = await consumerPerformance(options, `${options.topic}-consumer`)
  return {produce, consume, combinedPerSec: combinedRate(produce.recordsPerSec, consume.fetchRecordsPerSec)}
}
