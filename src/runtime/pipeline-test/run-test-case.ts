/**
 * Runs one test through the same code as the process stage of `etl run`, without Kafka: each input message is
 * decoded as a consumed message is (not a JSON object → dead letter), each batch goes through its partition's chain of
 * transform instances (applyTransforms), records are routed to sinks by their where: (sinks are not written), and
 * what transforms reject becomes a dead letter. With `flush`, the chains stop as at Ctrl-C (flushTransforms).
 */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Counters} from '../counters.js'
import {EtlError, messageOf} from '../errors.js'
import {createLogger} from '../logger.js'
import type {Rejection} from '../plugin-context.js'
import type {EtlRecord, TopicProducer, TransformInstance} from '../plugin-types.js'
import {
  applyTransforms,
  createPlugins,
  flushTransforms,
  type PluginCreateInputs,
  type Running,
} from '../stages/partition-chains.js'
import {decodeRecord} from '../stages/decode-record.js'
import {pluginLabel, routedTo} from '../stages/routing.js'
import type {InputBatch, PipelineUnderTest, TestCase} from './test-model.js'

export interface DeadLetter {
  code: string
  /** `decode`, or `<kind>:<name>` of the plugin that rejected it. */
  plugin: string
  reason: string
  /** The rejected record; undefined for a message that could not be decoded (see `raw`). */
  record?: EtlRecord
  raw?: string
  partition: number
}

/** What one test produced. */
export interface CaseOutput {
  /** Per transform, in order: every record it passed on. */
  steps: EtlRecord[][]
  /** What left the last transform (the decoded input when there is none). */
  output: EtlRecord[]
  /** Per sink: the records its where: let through. */
  sinks: EtlRecord[][]
  deadLetters: DeadLetter[]
  counts: Record<string, number>
  /** Log lines at warn and above, for the report of a failing test. */
  warnings: string[]
  /** A plugin that threw (ETL_PLUGIN_FAILED): the test fails with it. */
  error?: EtlError
}

const NO_KAFKA: TopicProducer = {
  produce: () =>
    Promise.reject(new EtlError('ETL_KAFKA', 'etl test runs without Kafka: a transform cannot produce to a topic')),
}

class CaseRun {
  readonly out: CaseOutput
  private readonly chains = new Map<number, Running<TransformInstance>[]>()
  private rejects: Rejection[] = []
  private readonly counters = new Counters()

  constructor(
    private readonly pipeline: PipelineUnderTest,
    private readonly stateRoot: string,
  ) {
    this.out = {
      steps: pipeline.transforms.map(() => []),
      output: [],
      sinks: pipeline.sinks.map(() => []),
      deadLetters: [],
      counts: {},
      warnings: [],
    }
  }

  private inputs(): PluginCreateInputs {
    const logger = createLogger('etl', {level: 'warn', format: 'text', write: (line) => this.out.warnings.push(line)})
    const onReject = (rejection: Rejection) => void this.rejects.push(rejection)
    const signal = new AbortController().signal
    return {
      pipeline: this.pipeline,
      logger,
      counters: this.counters,
      stateRoot: this.stateRoot,
      signal,
      onReject,
      kafka: NO_KAFKA,
    }
  }

  private async chainFor(partition: number): Promise<Running<TransformInstance>[]> {
    let chain = this.chains.get(partition)
    if (!chain) {
      chain = await createPlugins<TransformInstance>(this.inputs(), this.pipeline.transforms, partition)
      this.chains.set(partition, chain)
    }
    return chain
  }

  private onStep = (index: number, records: EtlRecord[]) => void this.out.steps[index].push(...records)

  private deliver(records: EtlRecord[], partition: number): void {
    this.out.output.push(...records)
    for (const [index, sink] of this.pipeline.sinks.entries()) {
      this.out.sinks[index].push(...routedTo(sink, records))
    }
    for (const r of this.rejects) {
      this.out.deadLetters.push({
        code: r.code,
        plugin: pluginLabel(r.stage),
        reason: r.reason,
        record: r.record,
        partition,
      })
    }
    this.rejects = []
  }

  async batch({partition, messages}: InputBatch): Promise<void> {
    const chain = await this.chainFor(partition)
    const records: EtlRecord[] = []
    for (const message of messages) {
      try {
        records.push(decodeRecord(Buffer.from(message.value, 'utf8')))
      } catch (error) {
        const {code, message: reason} = error as EtlError
        this.out.deadLetters.push({code, plugin: 'decode', reason, raw: message.value, partition})
      }
    }
    this.deliver(await applyTransforms(chain, records, this.onStep), partition)
  }

  async stop(flush: boolean): Promise<void> {
    for (const [partition, chain] of this.chains) {
      if (!flush) {
        for (const {instance} of chain) await instance.close?.()
        continue
      }
      const held = await flushTransforms(chain, (error) => (this.out.error ??= error), this.onStep)
      this.deliver(held, partition)
    }
    for (const {scope, event, count} of this.counters.entries()) this.out.counts[`${scope} ${event}`] = count
  }
}

export async function runTestCase(pipeline: PipelineUnderTest, test: TestCase): Promise<CaseOutput> {
  const stateRoot = await mkdtemp(join(tmpdir(), 'etl-test-state-'))
  const run = new CaseRun(pipeline, stateRoot)
  try {
    for (const batch of test.batches) await run.batch(batch)
    await run.stop(test.flush)
  } catch (error) {
    run.out.error = error instanceof EtlError ? error : new EtlError('ETL_INTERNAL', messageOf(error), {cause: error})
  } finally {
    await rm(stateRoot, {recursive: true, force: true})
  }
  return run.out
}
