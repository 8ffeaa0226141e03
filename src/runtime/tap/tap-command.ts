/**
 * `etl tap`: prints the records of one place of a running pipeline as JSON lines on stdout, live, until --limit or
 * Ctrl-C. The place is checked against the pipeline file first, so a wrong step or sink name fails before anything
 * connects; the records come from the pipeline's own tap (tap-endpoint.ts), so the tap never reads the topic, never
 * joins the consumer group and never moves an offset.
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import {EtlError} from '../errors.js'
import {streamTap} from './tap-client.js'
import type {TapEvent, TapPoint} from './tap-hub.js'

export interface TapCommandOptions {
  pipeline: PipelineConfig
  base: string
  step?: number
  sink?: string
  limit?: number
  /** Print the whole event (partition, key, record) instead of the record alone. */
  meta: boolean
  signal: AbortSignal
  write: (line: string) => void
}

export interface TapOutcome {
  place: string
  records: number
  dropped: number
}

/** The place `--step`/`--sink` name, described as the summary line says it; throws ETL_CONFIG_INVALID (exit 2). */
export function tapPlace(pipeline: PipelineConfig, step?: number, sink?: string): {point: TapPoint; place: string} {
  const invalid = (message: string) => new EtlError('ETL_CONFIG_INVALID', message, {exitCode: 2})
  if (step !== undefined && sink !== undefined) throw invalid('pass --step or --sink, not both')
  if (sink !== undefined) {
    const names = pipeline.sinks.map((s) => s.label)
    if (!names.includes(sink)) throw invalid(`--sink ${sink}: ${pipeline.file} has the sink(s) ${names.join(', ')}`)
    return {point: {sink}, place: `sink ${sink}`}
  }
  const steps = pipeline.transforms.length
  const at = step ?? steps
  if (at < 0 || at > steps) {
    throw invalid(`--step ${at}: ${pipeline.file} has steps 0 (as consumed from the topic) to ${steps}`)
  }
  return {
    point: {step: at},
    place: at === 0 ? 'step 0 (as consumed)' : `step ${at} (${pipeline.transforms[at - 1].label})`,
  }
}

export async function runTap(options: TapCommandOptions): Promise<TapOutcome> {
  const {point, place} = tapPlace(options.pipeline, options.step, options.sink)
  let records = 0
  let dropped = 0
  const onEvent = (event: TapEvent) => {
    records++
    dropped = event.dropped ?? dropped
    options.write(JSON.stringify(options.meta ? event : event.record))
  }
  await streamTap({base: options.base, point, limit: options.limit, signal: options.signal, onEvent})
  return {place, records, dropped}
}
