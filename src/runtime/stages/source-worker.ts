/**
 * `source.worker`: runs the source stage in a worker thread of the same `etl run` process, so a CPU-bound source
 * (a replay at `speed: 0`) and the process stage use two cores instead of sharing one JS thread. Plugin definitions
 * hold functions and cannot be sent to a thread, so the worker loads the pipeline file again (same file, same shared
 * environment) and opens its own Kafka client (source-worker-entry.ts). The result is the same as runSourceStage's:
 * the drain target, the source's counts merged into the run's counters, and the same EtlError when it fails.
 */
import {Worker} from 'node:worker_threads'
import type {StageConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {EtlError} from '../errors.js'
import {trackPending} from '../lifecycle.js'
import type {SourceStageInputs, SourceStageResult} from './source-stage.js'
import {fromWire, type CounterRow, type WireError} from './source-worker-wire.js'

/** What the worker needs to rebuild the stage: the pipeline file and where to connect. */
export interface SourceWorkerData {
  file: string
  brokers: string[]
  stateRoot: string
  /** Module the registry's built-in plugins come from (PluginRegistry.builtinsModule). */
  builtinsModule?: string
}

/** Messages from the worker to the main thread. */
export type FromWorker =
  | {type: 'pending'; lines: string[]}
  | {type: 'done'; drainTarget: Map<number, bigint>; counters: CounterRow[]}
  | {type: 'failed'; error: WireError; counters: CounterRow[]}

/** Messages from the main thread to the worker: stop cleanly (Ctrl-C), or give up what the broker did not take. */
export type ToWorker = {type: 'stop'} | {type: 'force'}

/**
 * The compiled entry next to this file; under tsx (tests run the .ts sources) the .ts entry, with tsx loaded in the
 * thread too (a worker does not inherit the main thread's module hooks).
 */
function workerEntry(): {url: URL; execArgv?: string[]} {
  const fromSources = import.meta.url.endsWith('.ts')
  const url = new URL(fromSources ? './source-worker-entry.ts' : './source-worker-entry.js', import.meta.url)
  if (!fromSources) return {url}
  const hasTsx = process.execArgv.some(
    (arg, i, all) => /^--(import|loader)=tsx/.test(arg) || (/^--(import|loader)$/.test(arg) && all[i + 1] === 'tsx'),
  )
  return {url, execArgv: hasTsx ? process.execArgv : [...process.execArgv, '--import', 'tsx']}
}

/**
 * `worker: true` or `false` as set. `auto` (the default): when the source says its configuration runs flat out
 * (isBulk) and both stages run in this process; a source stage alone would only leave the main thread idle.
 */
export function sourceInWorker(
  source: StageConfig | undefined,
  stage: 'all' | 'source' | 'process',
  autoAllowed = true,
): boolean {
  if (!source || stage === 'process') return false
  if (source.worker !== undefined) return source.worker
  return autoAllowed && stage === 'all' && (source.definition.isBulk?.(source.config) ?? false)
}

function mergeCounters(counters: Counters, rows: CounterRow[]): void {
  for (const row of rows) counters.add(row.scope, row.event, row.count)
}

export async function runSourceStageInWorker(inputs: SourceStageInputs, brokers: string[]): Promise<SourceStageResult> {
  const {pipeline, signal, forceSignal} = inputs
  const label = pipeline.sources[0]?.label ?? 'source'
  const setting = pipeline.sources[0]?.worker === true ? 'source.worker: true' : 'source.worker: auto'
  const worker = startWorker(inputs, brokers)
  const why = setting === 'source.worker: auto' ? `${setting}, and it runs flat out` : setting
  inputs.logger.info(`source ${label} runs in a worker thread (${why})`, {threadId: worker.threadId})
  const send = (message: ToWorker) => worker.postMessage(message)
  const onStop = () => send({type: 'stop'})
  const onForce = () => send({type: 'force'})
  const pending = new WorkerPending()
  try {
    const outcome = workerOutcome(worker, {counters: inputs.counters, pending, label, setting})
    if (signal.aborted) onStop()
    else signal.addEventListener('abort', onStop, {once: true})
    if (forceSignal?.aborted) onForce()
    else forceSignal?.addEventListener('abort', onForce, {once: true})
    return await outcome
  } finally {
    signal.removeEventListener('abort', onStop)
    forceSignal?.removeEventListener('abort', onForce)
    pending.show([])
  }
}

function startWorker(inputs: SourceStageInputs, brokers: string[]): Worker {
  const {pipeline} = inputs
  const {url, execArgv} = workerEntry()
  const data: SourceWorkerData = {
    file: pipeline.file,
    brokers,
    stateRoot: inputs.stateRoot,
    builtinsModule: pipeline.registry.builtinsModule,
  }
  return new Worker(url, {workerData: data, ...(execArgv ? {execArgv} : {}), env: process.env})
}

/**
 * What the worker's buffer still holds, for the ETL_SHUTDOWN_TIMEOUT message (lifecycle.ts reads it in this thread).
 */
class WorkerPending {
  private lines: string[] = []
  private untrack: (() => void) | undefined

  /** The worker's latest report; no lines means nothing is pending any more. */
  show(lines: string[]): void {
    this.lines = lines
    if (lines.length > 0 && !this.untrack) this.untrack = trackPending(() => this.lines.join('; '))
    if (lines.length === 0 && this.untrack) {
      this.untrack()
      this.untrack = undefined
    }
  }
}

interface OutcomeInputs {
  counters: Counters
  pending: WorkerPending
  label: string
  setting: string
}

/** Resolves with the worker's result or rejects with its error, once the thread has exited. */
function workerOutcome(worker: Worker, inputs: OutcomeInputs): Promise<SourceStageResult> {
  return new Promise<SourceStageResult>((resolve, reject) => {
    let outcome: {result?: SourceStageResult; error?: EtlError | Error} | undefined
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'pending') return inputs.pending.show(message.lines)
      mergeCounters(inputs.counters, message.counters)
      outcome =
        message.type === 'done' ? {result: {drainTarget: message.drainTarget}} : {error: fromWire(message.error)}
    })
    // An uncaught exception or running out of memory in the thread; 'exit' follows.
    let crash: Error | undefined
    worker.on('error', (error) => (crash = error))
    // Settled on exit, not on the result message: the thread's last log lines are written by then.
    worker.on('exit', (code) => {
      if (outcome?.result) return resolve(outcome.result)
      if (outcome?.error) return reject(outcome.error)
      reject(workerEndedError(inputs, code, crash))
    })
  })
}

function workerEndedError(inputs: OutcomeInputs, code: number, crash: Error | undefined): EtlError {
  const why = crash ? `: ${crash.message}` : ` with code ${code}`
  return new EtlError(
    'ETL_SOURCE_WORKER',
    `the worker thread of source "${inputs.label}" (${inputs.setting}) ended unexpectedly${why}; ` +
      'records it had not delivered are produced again by the next run',
    {cause: crash, details: {stage: 'source', exitCode: code}},
  )
}
