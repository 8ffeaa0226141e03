/**
 * Runs a pipeline's process stage in this process (real broker) until the group has committed a number of offsets,
 * then stops it cleanly: the restart-and-resume tests run it twice on the same file, group and topic.
 */
import {mkdtempSync} from 'node:fs'
import {join} from 'node:path'
import {loadPipeline} from '../../src/index.js'
import type {MessageBus} from '../../src/runtime/kafka/message-bus.js'
import type {Logger} from '../../src/runtime/logger.js'
import {runPipeline, type RunSummary} from '../../src/runtime/run-pipeline.js'
import {committedTotal, testBrokers} from './kafka-test-utils.js'

export interface ProcessRun {
  file: string
  group: string
  topic: string
  /** Each run gets a fresh state folder inside it: nothing on disk carries over between runs. */
  dir: string
  logger: Logger
  createBus?: (brokers: string[], clientId: string, logger: Logger) => MessageBus
  timeoutMs?: number
  /** Appended to the time-out error, e.g. the captured log. */
  context?: () => string
}

/** One `--stage process` run, stopped once `committed` offsets are committed; or its failure. */
export async function runProcessUntil(committed: number, run: ProcessRun): Promise<RunSummary> {
  const controller = new AbortController()
  const running = runPipeline(await loadPipeline(run.file), {
    stage: 'process',
    brokers: testBrokers().join(','),
    localBroker: false,
    logger: run.logger,
    signal: controller.signal,
    stateRoot: mkdtempSync(join(run.dir, 'state-')),
    createBus: run.createBus,
  })
  let settled = false
  running.then(
    () => (settled = true),
    () => (settled = true),
  )
  try {
    const deadline = Date.now() + (run.timeoutMs ?? 60_000)
    // A fresh broker answers "not the correct coordinator" for a moment: that reads as "not yet".
    while (!settled && (await committedTotal(run.group, run.topic).catch(() => -1)) < committed) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${committed} committed offsets\n${run.context?.() ?? ''}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } finally {
    controller.abort()
  }
  return running
}
