/**
 * Retries a sink's write() and flush() per its stage's `retry:` policy (retry.ts), so a locked file or a broker
 * election does not stop the pipeline. Each retry is logged at warn with the attempt and counted as `sink_retry`; a
 * permanent error (code ETL_SINK_PERMANENT, ETL_RECORD_INVALID…) or the last allowed attempt fails the stage with
 * ETL_PLUGIN_FAILED naming the sink. Nothing is committed before every sink flushed, so a failed stage loses nothing.
 *
 * A retried call gets the same arguments again: sinks must tolerate that (the CSV sink keeps what it wrote before a
 * failed append from being written twice). Every other member of the instance (close, positions…) is forwarded as is.
 */
import type {StageConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {formatDuration} from '../duration.js'
import {EtlError, messageOf} from '../errors.js'
import {trackPending} from '../lifecycle.js'
import type {Logger} from '../logger.js'
import {scopeOf} from '../plugin-context.js'
import type {SinkInstance} from '../plugin-types.js'
import {defaultRetryPolicy, isPermanentError, withRetry, type RetryPolicy} from '../retry.js'
import {callPlugin} from './call-plugin.js'
import type {Running} from './partition-chains.js'

export interface SinkRetryInputs {
  logger: Logger
  counters: Counters
  /** Shutdown: ends unlimited retries; a finite policy runs out its attempts (the grace period bounds that). */
  signal: AbortSignal
}

/** Wraps every created sink; the stage entries and their order stay as they are. */
export function withSinkRetries(sinks: Running<SinkInstance>[], inputs: SinkRetryInputs): Running<SinkInstance>[] {
  return sinks.map(({stage, instance}) => ({stage, instance: retryingSink(stage, instance, inputs)}))
}

const RETRIED = new Set<PropertyKey>(['write', 'flush'])

export function retryingSink(stage: StageConfig, instance: SinkInstance, inputs: SinkRetryInputs): SinkInstance {
  const policy: RetryPolicy = stage.retry ?? defaultRetryPolicy('sink')
  const logger = inputs.logger.child(`sink:${stage.label}`)
  const scope = scopeOf(stage)

  function retried(action: 'write' | 'flush') {
    return async (...args: unknown[]): Promise<void> => {
      const of = policy.maxAttempts > 0 ? ` of ${policy.maxAttempts}` : ''
      let state = ''
      const done = trackPending(() => `sink ${stage.label}: ${action}${state}`)
      const call = (attempt: number) => {
        if (attempt > 1) state = ` (attempt ${attempt}${of})`
        return (instance[action] as (...a: unknown[]) => Promise<void>).apply(instance, args)
      }
      try {
        await callPlugin(stage, 'process', action, () =>
          withRetry(call, policy, {
            describe: action,
            logger,
            signal: inputs.signal,
            count: (event, amount) => inputs.counters.add(scope, event, amount),
            retryEvent: 'sink_retry',
            onRetry: ({attempt, delayMs, error}) => {
              state = ` failed (${messageOf(error)}); attempt ${attempt + 1}${of} due in ${formatDuration(delayMs)}`
            },
          }).catch((error: unknown) => {
            throw asEtlError(error)
          }),
        )
      } finally {
        done()
      }
    }
  }
  const write = retried('write')
  const flush = retried('flush')

  return new Proxy(instance, {
    get(target, property) {
      if (property === 'write') return write
      if (property === 'flush') return flush
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' && !RETRIED.has(property) ? value.bind(target) : value
    },
  })
}

/**
 * A third-party plugin cannot import our EtlError class; an error it throws with `code: 'ETL_SINK_PERMANENT'` is
 * shown with its code like ours.
 */
function asEtlError(error: unknown): unknown {
  if (error instanceof EtlError || !isPermanentError(error)) return error
  const code = (error as {code: string}).code as EtlError['code']
  return new EtlError(code, messageOf(error), {cause: error})
}
