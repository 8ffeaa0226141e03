/**
 * Calls one async function of a module in a worker thread. The chart spec check runs there because it needs vega,
 * vega-lite and the compiled Vega-Lite JSON schema: kept out of the main thread's heap, a running pipeline never holds
 * them, and the CLI process itself never imports them.
 */
import {createRequire, getCompileCacheDir} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

/**
 * The worker's whole script. The module is imported inside it, so a module that fails to load still answers (with
 * the error) instead of leaving the caller waiting until the timeout.
 */
const WORKER_SCRIPT = `
const {parentPort, workerData} = require('node:worker_threads')
// The compile cache is per thread: the CLI (bin/run.js) turns it on for the main thread only.
if (workerData.compileCache) require('node:module').enableCompileCache?.()
// From src/ (tests, bench) the module is TypeScript: tsx's hooks do not carry over into workers, so register them here.
const loaded = (workerData.tsxUrl ? import(workerData.tsxUrl).then((tsx) => tsx.register()) : Promise.resolve())
  .then(() => import(workerData.moduleUrl))
// Handled at each call; without this, a failed import would end the worker before the first call could report it.
loaded.catch(() => undefined)
parentPort.on('message', ({id, request}) => {
  loaded
    .then((module) => module.answer(request))
    .then(
      (result) => parentPort.postMessage({id, result}),
      (error) => parentPort.postMessage({id, error: String((error && error.message) || error)}),
    )
})
`

export class ModuleWorkerError extends Error {
  override readonly name = 'ModuleWorkerError'
}

type Answer<Result> = {id: number; result: Result} | {id: number; error: string}

interface PendingCall<Result> {
  resolve(result: Result): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

/**
 * A worker that imports `moduleUrl` and answers `call(request)` with what the module's exported `answer(request)`
 * resolves to. Started on the first call; ended once it has been idle for `idleMs`, so whatever it loaded is freed
 * soon after the last call (several charts of one pipeline share one worker and one compiled schema). It keeps the
 * process alive only while a call is waiting for its answer.
 */
export class ModuleWorker<Request, Result> {
  private worker?: Worker
  private readonly pending = new Map<number, PendingCall<Result>>()
  private nextId = 0
  private idleTimer?: NodeJS.Timeout

  constructor(
    private readonly moduleUrl: URL,
    private readonly options: {timeoutMs: number; idleMs: number},
  ) {}

  /** The answer to `request` (at most timeoutMs away). Request and result must be cloneable. */
  call(request: Request): Promise<Result> {
    const worker = this.start()
    clearTimeout(this.idleTimer)
    worker.ref()
    const id = this.nextId++
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late answer must not be taken for another call's: this worker is done.
        this.stop(new ModuleWorkerError(`no answer within ${Math.round(this.options.timeoutMs / 1000)} s`))
      }, this.options.timeoutMs)
      this.pending.set(id, {resolve, reject, timer})
      worker.postMessage({id, request})
    })
  }

  /** Ends the worker; calls still waiting fail with `reason`. */
  stop(reason = new ModuleWorkerError('the worker was stopped')): void {
    clearTimeout(this.idleTimer)
    const worker = this.worker
    this.worker = undefined
    for (const call of this.pending.values()) {
      clearTimeout(call.timer)
      call.reject(reason)
    }
    this.pending.clear()
    if (worker) void worker.terminate()
  }

  private start(): Worker {
    if (this.worker) return this.worker
    // Only when running from src/: dist/ never loads tsx, which is a dev dependency.
    const tsxUrl = this.moduleUrl.pathname.endsWith('.ts')
      ? pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
      : undefined
    const worker = new Worker(WORKER_SCRIPT, {
      eval: true,
      workerData: {moduleUrl: this.moduleUrl.href, tsxUrl, compileCache: getCompileCacheDir?.() !== undefined},
    })
    worker.on('message', (answer: Answer<Result>) => this.settle(answer))
    // The script catches its own errors; this only covers the worker dying (then the next call starts a new one).
    worker.on('error', (error) => this.stop(new ModuleWorkerError(`the worker failed: ${error.message}`)))
    worker.on('exit', () => {
      if (this.worker === worker) this.stop(new ModuleWorkerError('the worker exited'))
    })
    this.worker = worker
    return worker
  }

  private settle(answer: Answer<Result>): void {
    const call = this.pending.get(answer.id)
    if (!call) return
    this.pending.delete(answer.id)
    clearTimeout(call.timer)
    if (this.pending.size === 0) this.becomeIdle()
    if ('error' in answer) call.reject(new ModuleWorkerError(answer.error))
    else call.resolve(answer.result)
  }

  /** Nothing is waiting: the worker no longer keeps the process alive, and ends after idleMs. */
  private becomeIdle(): void {
    this.worker?.unref()
    this.idleTimer = setTimeout(() => this.stop(), this.options.idleMs).unref()
  }
}
