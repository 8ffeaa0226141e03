/**
 * Runs a bench pipeline through the real CLI (`node bin/run.js run …`) in its own process: what users run, with its
 * own RSS to sample and its own profile to take. Its JSON log lines carry the times the bench measures from.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {track} from './child-processes.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const ETL_BIN = join(ROOT, 'bin', 'run.js')

export interface EtlRunOptions {
  pipeline: string
  stage: 'all' | 'source' | 'process'
  brokers: string
  /** BENCH_* variables the pipeline file interpolates. */
  vars: Record<string, string | number>
  stateDir: string
  /** Node flags before bin/run.js, e.g. --cpu-prof. */
  nodeArgs?: string[]
  /** More `etl run` flags, e.g. --metrics. */
  runArgs?: string[]
}

export interface LogLine {
  time: string
  level: string
  logger: string
  message: string
  [field: string]: unknown
}

export interface EtlRun {
  child: ChildProcess
  pid: number
  /** Wall time (epoch ms) the process was spawned. */
  spawnedAt: number
  /** Resolves with the time (epoch ms) of the first log line whose message starts with `prefix`. */
  logged(prefix: string): Promise<number>
  /** Resolves when the process ended (rejects when it failed). */
  exited: Promise<{code: number | null; counters: Map<string, number>; endedAt: number}>
  stderrTail(): string
}

/** The end-of-run summary: `  <scope> <event>  <count>` lines after `summary:`. */
export function parseSummary(text: string): Map<string, number> {
  const counters = new Map<string, number>()
  const start = text.lastIndexOf('summary:')
  if (start < 0) return counters
  for (const line of text.slice(start).split('\n').slice(1)) {
    const match = /^ {2}(.+?)\s{2,}(\d+)$/.exec(line)
    if (match) counters.set(match[1].trim(), Number(match[2]))
  }
  return counters
}

export function startEtl(options: EtlRunOptions): EtlRun {
  const args = [
    ...(options.nodeArgs ?? []),
    ETL_BIN,
    'run',
    options.pipeline,
    '--stage',
    options.stage,
    '--brokers',
    options.brokers,
    ...(options.runArgs ?? []),
  ]
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ETL_LOG_FORMAT: 'json',
    ETL_STATE_DIR: options.stateDir,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  }
  for (const [name, value] of Object.entries(options.vars)) env[name] = String(value)
  const spawnedAt = Date.now()
  const child = track(spawn(process.execPath, args, {cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe']}))
  let stderr = ''
  let partial = ''
  const lines: LogLine[] = []
  const waiters: {prefix: string; resolve: (time: number) => void}[] = []
  const check = (line: LogLine) => {
    for (const waiter of [...waiters]) {
      if (!line.message.startsWith(waiter.prefix)) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(Date.parse(line.time))
    }
  }
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    stderr = (stderr + text).slice(-200_000)
    const parts = (partial + text).split('\n')
    partial = parts.pop() ?? ''
    for (const part of parts) {
      if (!part.startsWith('{')) continue
      try {
        const line = JSON.parse(part) as LogLine
        // Only lines about the run's progress are kept; the summary and warnings are read from the tail.
        if (line.level === 'info') lines.push(line)
        check(line)
      } catch {
        // Not a log line.
      }
    }
  })
  const exited = new Promise<{code: number | null; counters: Map<string, number>; endedAt: number}>(
    (resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, signal) => {
        const endedAt = Date.now()
        for (const waiter of waiters.splice(0)) waiter.resolve(Number.NaN)
        if (code === 0) return resolve({code, counters: parseSummary(stderr), endedAt})
        const how = signal ?? `exit ${code}`
        reject(
          new Error(`etl run ${options.pipeline} --stage ${options.stage} failed (${how}):\n${stderr.slice(-3000)}`),
        )
      })
    },
  )
  exited.catch(() => undefined) // observed by whoever awaits it; never an unhandled rejection in between
  return {
    child,
    pid: child.pid!,
    spawnedAt,
    logged(prefix) {
      const seen = lines.find((line) => line.message.startsWith(prefix))
      if (seen) return Promise.resolve(Date.parse(seen.time))
      return new Promise((resolve) => waiters.push({prefix, resolve}))
    },
    exited,
    stderrTail: () => stderr.slice(-3000),
  }
}
