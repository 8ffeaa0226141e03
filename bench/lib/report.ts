/** What the bench prints and saves: the machine it ran on, a table of figures, the targets, and a JSON file. */
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {availableParallelism, cpus, loadavg, release, totalmem, type} from 'node:os'
import {join} from 'node:path'
import {javaCommand, KAFKA_VERSION} from '../../src/runtime/kafka-local/kafka-jars.js'
import type {ProfileSummary} from './cpu-profile.js'
import {ROOT} from './etl-process.js'
import type {LatencyResult} from '../scenarios/latency.js'
import type {MemoryResult} from '../scenarios/memory.js'
import type {RecordSize} from './record-size.js'
import type {KafkaLimit} from '../scenarios/kafka-limit.js'
import type {ClientThroughput, StageRate} from '../scenarios/throughput.js'

// Some runs are too short to judge a target (see docs/BENCHMARKS.md): V8 keeps growing its heap for the first few
// minutes, and Kafka's tools spend most of a run of fewer than a million records warming up their JVM.
export const TARGETS = {
  throughputRatio: 0.5,
  latencyRate: 1000,
  latencyP99Ms: 25,
  rssMb: 150,
  flatMbPerMin: 0.5,
  flatMinMinutes: 5,
  ratioMinRecords: 1_000_000,
}

export interface BenchResults {
  startedAt: string
  finishedAt?: string
  options: Record<string, unknown>
  machine: ReturnType<typeof machineInfo>
  load: Record<string, number[]>
  recordSize?: RecordSize
  kafka?: KafkaLimit
  /** The default client's (kafkajs) figures, as before clients were compared; every client's are in `clients`. */
  pipeline?: ClientThroughput['pipeline']
  ratios?: Record<string, number>
  clients?: ClientThroughput[]
  latency: LatencyResult[]
  memory?: MemoryResult
  profile?: ProfileSummary
  sourceProfile?: ProfileSummary
  /** met: null when the run was too short to judge. */
  targets?: Record<string, {target: string; measured: string; met: boolean | null}>
}

/** A command's output, stdout or else stderr (where `java -version` writes). */
function command(cmd: string, args: string[]): string {
  const result = spawnSync(cmd, args, {cwd: ROOT, encoding: 'utf8'})
  if (result.error) return 'unknown'
  return result.stdout.trim() || result.stderr.trim()
}

export function machineInfo() {
  const java = command(javaCommand(), ['-version']).split('\n')[0]
  const commit = command('git', ['rev-parse', '--short', 'HEAD'])
  const dirty =
    spawnSync('git', ['status', '--porcelain', '--', 'src'], {cwd: ROOT, encoding: 'utf8'}).stdout.trim() !== ''
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    kafka: KAFKA_VERSION,
    java,
    kafkajs: (JSON.parse(readFileSync(join(ROOT, 'node_modules/kafkajs/package.json'), 'utf8')) as {version: string})
      .version,
    platformaticKafka: (
      JSON.parse(readFileSync(join(ROOT, 'node_modules/@platformatic/kafka/package.json'), 'utf8')) as {version: string}
    ).version,
    commit: dirty ? `${commit} (src/ has uncommitted changes)` : commit,
  }
}

export function loadNow(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100)
}

const int = (value: number) => Math.round(value).toLocaleString('en-US')
const fixed = (value: number, digits = 1) => value.toFixed(digits)
const pad = (cells: string[], widths: number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')

export function evaluateTargets(results: BenchResults): NonNullable<BenchResults['targets']> {
  const targets: NonNullable<BenchResults['targets']> = {}
  const ratio = results.ratios?.endToEndVsKafka
  if (ratio !== undefined) {
    const records = Number(results.options.records)
    const met = records < TARGETS.ratioMinRecords ? null : ratio >= TARGETS.throughputRatio
    const why = met === null ? ` (${records} records is too few to judge; use ≥ ${TARGETS.ratioMinRecords})` : ''
    targets.throughput = {
      target: `≥ ${TARGETS.throughputRatio * 100} % of Kafka produce+consume`,
      measured: `${fixed(ratio * 100)} %${why}`,
      met,
    }
  }
  const at = results.latency.find((l) => l.rate === TARGETS.latencyRate)
  if (at)
    targets.latency = {
      target: `p99 ≤ ${TARGETS.latencyP99Ms} ms at ${TARGETS.latencyRate}/s`,
      measured: `p99 ${fixed(at.p99)} ms`,
      met: at.p99 <= TARGETS.latencyP99Ms,
    }
  const memory = results.memory
  if (memory) {
    targets.rss = {
      target: `peak RSS ≤ ${TARGETS.rssMb} MB`,
      measured: `${fixed(memory.peakMb)} MB`,
      met: memory.peakMb <= TARGETS.rssMb,
    }
    const flat = memory.minutes < TARGETS.flatMinMinutes ? null : Math.abs(memory.slopeMbPerMin) <= TARGETS.flatMbPerMin
    const why =
      flat === null ? ` (a ${memory.minutes} min run is too short to judge; use ≥ ${TARGETS.flatMinMinutes})` : ''
    targets.flat = {
      target: `RSS flat (|slope| ≤ ${TARGETS.flatMbPerMin} MB/min)`,
      measured: `${fixed(memory.slopeMbPerMin, 2)} MB/min${why}`,
      met: flat,
    }
  }
  return targets
}

export function formatReport(r: BenchResults): string {
  const out: string[] = []
  const m = r.machine
  out.push(
    `etl bench — ${m.cores} cores ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, Kafka ${m.kafka}, ${m.java}, ` +
      `commit ${m.commit}`,
  )
  out.push(`load average at start ${r.load.start?.join(' ')}${r.load.end ? `, at end ${r.load.end.join(' ')}` : ''}`)
  const size = r.recordSize
  if (size)
    out.push(`record: ${size.meanBytes} B mean JSON value (${size.minBytes}–${size.maxBytes}), key ${size.keyBytes} B`)
  if (r.kafka || r.pipeline) {
    const w = [56, 12, 10, 22, 10]
    out.push('', pad(['throughput', 'records/s', 'seconds', 'ratio', 'peak RSS'], w))
    const k = r.kafka
    if (k) {
      out.push(
        pad(
          [
            'Kafka ProducerPerformance (acks=all, idempotent)',
            int(k.produce.recordsPerSec),
            '',
            `(batch.size ${Math.round(k.produce.batchSizeBytes / 1024)} KiB)`,
          ],
          w,
        ),
      )
      out.push(
        pad(
          [
            'Kafka ConsumerPerformance (after group join)',
            int(k.consume.fetchRecordsPerSec),
            '',
            `(whole run ${int(k.consume.recordsPerSec)})`,
          ],
          w,
        ),
      )
      out.push(pad(['Kafka produce+consume limit, 1/(1/P+1/C)', int(k.combinedPerSec), '', ''], w))
    }
    // Results written before clients were compared have only `pipeline`: that was kafkajs.
    const clients = r.clients ?? (r.pipeline ? [{client: 'kafkajs', pipeline: r.pipeline, ratios: r.ratios}] : [])
    for (const {client, pipeline: p, ratios} of clients) {
      const ratio = (key: string, label: string) =>
        ratios?.[key] === undefined ? '' : `${fixed(ratios[key] * 100)} % of ${label}`
      const row = (label: string, run: StageRate | undefined, key: string, of: string) => {
        if (run)
          out.push(
            pad(
              [
                `${label} [${client}]`,
                int(run.recordsPerSec),
                fixed(run.seconds),
                ratio(key, of),
                run.peakRssMb === undefined ? '' : `${int(run.peakRssMb)} MB`,
              ],
              w,
            ),
          )
      }
      row('etl --stage source (replay → topic)', p.produce, 'produceVsKafka', 'producer')
      row('etl --stage process --until-caught-up (ohlc → csv)', p.process, 'processVsKafka', 'consumer')
      // Results from before --until-caught-up have no exit time (SIGINT stopped that run).
      if (p.process?.exitMs !== undefined)
        out.push(pad([`  … spawn to its own exit [${client}]`, '', fixed(p.process.exitMs / 1000), '', ''], w))
      row('etl --stage all (end to end, one process, as shipped)', p.all, 'endToEndVsKafka', 'limit')
      row('etl --stage all, source.worker: false (one thread)', p.allOneThread, 'endToEndOneThreadVsKafka', 'limit')
      // Results from before worker: auto: `all` was one thread and this row the opt-in worker.
      row('etl --stage all, source in a worker thread', p.allWorker, 'endToEndWorkerVsKafka', 'limit')
      row('etl --stage source + --stage process (two)', p.split, 'splitVsKafka', 'limit')
    }
  }
  if (r.latency.length > 0) {
    const w = [22, 8, 8, 8, 8, 8, 9]
    out.push('', pad(['latency (ms)', 'p50', 'p95', 'p99', 'max', 'mean', 'samples'], w))
    for (const l of r.latency)
      out.push(
        pad(
          [
            `${int(l.rate)} records/s`,
            fixed(l.p50),
            fixed(l.p95),
            fixed(l.p99),
            fixed(l.max),
            fixed(l.mean),
            int(l.count),
          ],
          w,
        ),
      )
  }
  const mem = r.memory
  if (mem) {
    out.push(
      '',
      `memory: RSS over ${mem.minutes} min at ${int(mem.rate)} records/s, every ${mem.sampleEverySec} s: ` +
        `start ${fixed(mem.startMb)} MB, peak ${fixed(mem.peakMb)} MB, end ${fixed(mem.endMb)} MB, ` +
        `slope ${fixed(mem.slopeMbPerMin, 2)} MB/min over the second half`,
    )
  }
  for (const profile of [r.profile, r.sourceProfile]) {
    if (!profile) continue
    out.push(
      '',
      `CPU profile (node --cpu-prof) of ${profile.note}: ${fixed(profile.busyMs / 1000)} s busy, ` +
        `${fixed(profile.idleMs / 1000)} s idle; top self time`,
    )
    for (const h of profile.functions.slice(0, 12))
      out.push(`  ${fixed(h.selfPct).padStart(5)} %  ${h.name}  ${h.where}`)
    out.push('  by module:')
    for (const h of profile.modules.slice(0, 8)) out.push(`  ${fixed(h.selfPct).padStart(5)} %  ${h.name}`)
  }
  if (r.targets && Object.keys(r.targets).length > 0) {
    out.push('', 'targets:')
    for (const t of Object.values(r.targets))
      out.push(`  ${t.met === null ? 'n/a    ' : t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.measured}`)
  }
  return out.join('\n') + '\n'
}

export function writeResults(results: BenchResults): string {
  const dir = join(ROOT, 'bench/results')
  mkdirSync(dir, {recursive: true})
  const file = join(dir, `pipeline-${results.startedAt.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n')
  return file
}
