/**
 * Calls one async function in a worker thread and waits for its answer synchronously. A plugin's validateConfig is
 * synchronous, but checking a chart spec needs vega and vega-lite, which can only be loaded asynchronously (vega-canvas
 * uses top-level await, so require() refuses them). In a worker they also stay out of the main thread's heap: the
 * compiled Vega-Lite JSON schema alone holds ~100 MB, which a running pipeline never needs again.
 */
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {MessageChannel, receiveMessageOnPort, Worker, type MessagePort} from 'node:worker_threads'

/**
 * The worker's whole script. The module is imported inside it, so a module that fails to load still answers (with
 * the error) instead of leaving the caller blocked until the timeout. Calls are strictly one at a time (the caller
 * is blocked), so an answer needs no id.
 */
const WORKER_SCRIPT = `
const {workerData} = require('node:worker_threads')
const {port, done} = workerData
// From src/ (tests, bench) the module is TypeScript: tsx's hooks do not carry over into workers, so register them here.
const loaded = (workerData.tsxUrl ? import(workerData.tsxUrl).then((tsx) => tsx.register()) : Promise.resolve())
  .then(() => import(workerData.moduleUrl))
// Handled at each call; without this, a failed import would end the worker before the first call could report it.
loaded.catch(() => undefined)
const reply = (message) => {
  port.postMessage(message)
  Atomics.store(done, 0, 1)
  Atomics.notify(done, 0)
}
port.on('message', (request) => {
  loaded
    .then((module) => module.answer(request))
    .then((result) => reply({result}), (error) => reply({error: String((error && error.message) || error)}))
})
`

export class SyncWorkerError extends Error {
  override readonly name = 'SyncWorkerError'
}

/**
 * A worker that imports `moduleUrl` and answers `call(request)` with what the module's exported `answer(request)`
 * resolves to. Started on the first call; ended once it has been idle for `idleMs`, so whatever it loaded is freed
 * soon after the last call (several charts in one pipeline share one worker and one compiled schema). It never keeps
 * the process alive.
 */
export class SyncWorker<Request, Result> {
  private running?: {worker: Worker; port: MessagePort; done: Int32Array}
  private idleTimer?: NodeJS.Timeout

  constructor(
    private readonly moduleUrl: URL,
    private readonly options: {timeoutMs: number; idleMs: number},
  ) {}

  /** Blocks the calling thread until the answer arrives (at most timeoutMs). Request and result must be cloneable. */
  call(request: Request): Result {
    const running = this.start()
    clearTimeout(this.idleTimer)
    Atomics.store(running.done, 0, 0)
    running.port.postMessage(request)
    const waited = Atomics.wait(running.done, 0, 0, this.options.timeoutMs)
    const message = receiveMessageOnPort(running.port)?.message as {result: Result} | {error: string} | undefined
    if (waited === 'timed-out' || !message) {
      // A late answer must not be taken for the next call's.
      this.stop()
      throw new SyncWorkerError(`no answer within ${Math.round(this.options.timeoutMs / 1000)} s`)
    }
    this.idleTimer = setTimeout(() => this.stop(), this.options.idleMs).unref()
    if ('error' in message) throw new SyncWorkerError(message.error)
    return message.result
  }

  stop(): void {
    clearTimeout(this.idleTimer)
    if (!this.running) return
    this.running.port.close()
    void this.running.worker.terminate()
    this.running = undefined
  }

  private start() {
    if (this.running) return this.running
    const {port1, port2} = new MessageChannel()
    const done = new Int32Array(new SharedArrayBuffer(4))
    // Only when running from src/: dist/ never loads tsx, which is a dev dependency.
    const tsxUrl = this.moduleUrl.pathname.endsWith('.ts')
      ? pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
      : undefined
    const worker = new Worker(WORKER_SCRIPT, {
      eval: true,
      workerData: {moduleUrl: this.moduleUrl.href, tsxUrl, port: port2, done},
      transferList: [port2],
    })
    worker.unref()
    port1.unref()
    // The script catches its own errors; this only covers the worker dying (then the next call starts a new one).
    worker.on('error', () => this.stop())
    this.running = {worker, port: port1, done}
    return this.running
  }
}
