/**
 * The size of the pipeline's records on the topic, measured, not guessed: the throughput pipeline's own replay source
 * (its validated config) replays one pass of its file in this process and every record is serialised exactly as the
 * source stage does (JSON.stringify), so Kafka's tools can be given the same record size.
 */
import {tmpdir} from 'node:os'
import {resolve} from 'node:path'
import {loadPipeline} from '../../src/index.js'
import {createLogger} from '../../src/runtime/logger.js'
import type {EtlRecord, PluginContext, SourceInstance} from '../../src/runtime/plugin-types.js'
import {DEFAULT_SOURCE_RETRY} from '../../src/runtime/retry.js'
import {systemClock} from '../../src/runtime/clock.js'

export interface RecordSize {
  /** Mean value size in bytes (what --record-size gets). */
  meanBytes: number
  minBytes: number
  maxBytes: number
  /** Key size: the source keys records by symbol. */
  keyBytes: number
  sampled: number
  example: string
  /** Records the source hands to one send (the replay's batchSize): Kafka's producer gets the same batch bytes. */
  sourceBatchSize: number
}

export async function measureRecordSize(
  pipelineFile: string,
  vars: Record<string, string | number>,
): Promise<RecordSize> {
  const env = {...process.env, ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]))}
  const pipeline = await loadPipeline(pipelineFile, {env})
  const stage = pipeline.sources[0]
  if (!stage) throw new Error(`${pipelineFile} has no source`)
  const controller = new AbortController()
  const context: PluginContext = {
    logger: createLogger('bench:record-size', {level: 'warn'}),
    pipelineName: pipeline.name,
    pipelineDir: pipeline.dir,
    stateDir: tmpdir(),
    resolvePath: (path) => resolve(path),
    signal: controller.signal,
    count: () => undefined,
    reject: () => undefined,
    retry: DEFAULT_SOURCE_RETRY,
    registerSecret: () => undefined,
    clock: systemClock,
  }
  // One pass over the file is every distinct row; later passes only shift the timestamps (same length).
  const config = {...stage.config, loop: 1, limit: undefined}
  const source = (await stage.definition.create(config, context)) as SourceInstance
  let total = 0
  let sampled = 0
  let min = Infinity
  let max = 0
  let example = ''
  let keyBytes = 0
  await source.run(async (records: EtlRecord[]) => {
    for (const record of records) {
      const bytes = Buffer.byteLength(JSON.stringify(record))
      if (sampled === 0) {
        example = JSON.stringify(record)
        keyBytes = Buffer.byteLength(String(record.symbol ?? ''))
      }
      total += bytes
      sampled++
      min = Math.min(min, bytes)
      max = Math.max(max, bytes)
    }
  }, controller.signal)
  await source.close?.()
  const sourceBatchSize = Number(stage.config.batchSize)
  return {
    meanBytes: Math.round(total / sampled),
    minBytes: min,
    maxBytes: max,
    keyBytes,
    sampled,
    example,
    sourceBatchSize,
  }
}
