/**
 * The worker thread of `source.worker` (started by source-worker.ts): loads the pipeline file again, opens its
 * own Kafka client and runs the source stage exactly as the main thread would (same transactional id, same
 * checkpoints), then reports the drain target and its counts. Its log lines go to this thread's stderr, which Node
 * forwards to the process's stderr, in the same format (level and format come from the shared environment).
 */
import {parentPort, workerData} from 'node:worker_threads'
import {loadPipeline} from '../config/load-pipeline.js'
import {Counters} from '../counters.js'
import {pendingWork} from '../lifecycle.js'
import {createLogger} from '../logger.js'
import {createMessageBus} from '../kafka/create-bus.js'
import {PluginRegistry} from '../plugin-registry.js'
import type {MessageBus} from '../kafka/message-bus.js'
import {runSourceStage} from './source-stage.js'
import type {FromWorker, SourceWorkerData, ToWorker} from './source-worker.js'
import {toWire} from './source-worker-wire.js'

const PENDING_EVERY_MS = 250

async function main(port: NonNullable<typeof parentPort>, data: SourceWorkerData): Promise<void> {
  const post = (message: FromWorker) => port.postMessage(message)
  const stop = new AbortController()
  const force = new AbortController()
  let pendingTimer: NodeJS.Timeout | undefined
  port.on('message', (message: ToWorker) => {
    if (message.type === 'force') return force.abort()
    stop.abort()
    // After a stop the main thread may give up waiting (grace period): keep it told what the buffer still holds.
    pendingTimer ??= setInterval(() => post({type: 'pending', lines: pendingWork()}), PENDING_EVERY_MS)
  })
  const logger = createLogger('etl')
  const counters = new Counters()
  let bus: MessageBus | undefined
  try {
    const pipeline = await loadPipeline(data.file, {
      registry: await PluginRegistry.fromBuiltinsModule(data.builtinsModule),
    })
    bus = await createMessageBus(pipeline.kafka.client, {
      brokers: data.brokers,
      clientId: pipeline.kafka.clientId,
      logger: logger.child('kafka'),
    })
    const {drainTarget} = await runSourceStage({
      pipeline,
      bus,
      logger,
      counters,
      stateRoot: data.stateRoot,
      signal: stop.signal,
      forceSignal: force.signal,
    })
    post({type: 'done', drainTarget, counters: counters.entries()})
  } catch (error) {
    post({type: 'failed', error: toWire(error), counters: counters.entries()})
  } finally {
    clearInterval(pendingTimer)
    await bus?.close().catch((error) => logger.warn(`closing the source's Kafka client failed: ${String(error)}`))
  }
}

if (!parentPort) throw new Error('source-worker-entry.ts runs only as a worker thread (see source-worker.ts)')
await main(parentPort, workerData as SourceWorkerData)
// A Kafka client can leave a socket open after it disconnected (run.ts says the same of the main thread): the stage is
// over, so the thread ends here rather than waiting for it.
process.exit(0)
