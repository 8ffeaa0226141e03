/**
 * The reading end of /tap (tap-endpoint.ts), for `etl tap` and `etl top`: an HTTP request to the running pipeline's
 * metrics endpoint, read line by line. It speaks to the pipeline only, never to Kafka, so it cannot join a consumer
 * group or move an offset. A refusal (wrong step, no process stage there) comes back as ETL_TAP_REFUSED with the
 * endpoint's own words; no answer at all as ETL_METRICS_UNREACHABLE.
 */
import {EtlError, messageOf} from '../errors.js'
import type {TapEvent, TapPoint} from './tap-hub.js'

export interface TapStreamOptions {
  /** The endpoint's base URL, e.g. http://127.0.0.1:9464. */
  base: string
  /** Default: the last step. */
  point?: TapPoint
  limit?: number
  signal: AbortSignal
  onEvent(event: TapEvent): void
}

export function tapUrl(base: string, point: TapPoint | undefined, limit: number | undefined): string {
  const search = new URLSearchParams()
  if (point && 'step' in point) search.set('step', String(point.step))
  if (point && 'sink' in point) search.set('sink', point.sink)
  if (limit !== undefined) search.set('limit', String(limit))
  const query = search.toString()
  return `${base}/tap${query ? `?${query}` : ''}`
}

/** Streams events until the endpoint ends the stream (its limit, the run stopped) or `signal` aborts. */
export async function streamTap(options: TapStreamOptions): Promise<void> {
  const url = tapUrl(options.base, options.point, options.limit)
  const response = await fetch(url, {signal: options.signal}).catch((error: unknown) => {
    if (options.signal.aborted) return undefined
    throw unreachable(options.base, error)
  })
  if (!response) return
  if (!response.ok || !response.body) {
    const why = (await response.text().catch(() => '')).trim() || `HTTP ${response.status}`
    throw new EtlError('ETL_TAP_REFUSED', `${url}: ${why}`, {exitCode: 2})
  }
  const decoder = new TextDecoder()
  let pending = ''
  try {
    for await (const chunk of response.body) {
      pending += decoder.decode(chunk, {stream: true})
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) if (line) options.onEvent(JSON.parse(line) as TapEvent)
    }
  } catch (error) {
    if (!options.signal.aborted) throw unreachable(options.base, error)
  }
}

/** The endpoint did not answer, or went away mid-stream (the run stopped). */
export function unreachable(base: string, error: unknown): EtlError {
  const cause = (error as {cause?: unknown}).cause ?? error
  return new EtlError(
    'ETL_METRICS_UNREACHABLE',
    `no answer from ${base} (${messageOf(cause)}): is the pipeline running with --metrics, on this port? ` +
      'Pass --url http://host:port when it listens elsewhere.',
    {cause: error},
  )
}
