/**
 * GET a JSON document the way every source should: with the stage's retry policy, the plugin's logger and counters,
 * and the pipeline's shutdown signal, all taken from the plugin's context (fetchJsonWithRetry underneath).
 */
import {
  fetchJsonResponseWithRetry,
  fetchJsonWithRetry,
  type FetchJsonOptions,
  type JsonResponse,
} from '../runtime/http-fetch.js'
import type {PluginContext} from '../runtime/plugin-types.js'

export interface FetchJsonRequest {
  /** Names the request in log lines and errors, e.g. 'CoinGecko /simple/price'. */
  describe: string
  /** Request headers; API keys belong here, never in the URL (URLs are logged). Register them as secrets. */
  headers?: Record<string, string>
  /** Limit for one attempt, headers and body included (default 10 s). */
  timeoutMs?: number
  /** Appended to the 401/403 error: which setting or environment variable holds the key. */
  authHint?: string
  /** Returns why a parsed body is unusable (it is then retried like an error page), or undefined to accept it. */
  check?: (body: unknown) => string | undefined
  /** Another abort signal than the context's (e.g. a source's run(emit, signal)). */
  signal?: AbortSignal
}

/**
 * Fetches `url` and resolves its parsed JSON body. Passing faults (429, 408, 5xx, network errors, timeouts, bodies
 * that are not JSON or fail `check`) are retried per context.retry, waiting max(Retry-After, backoff); other 4xx throw
 * ETL_SOURCE_PERMANENT at once, and ETL_SOURCE_HTTP is thrown once the attempts are used up. Each failure is counted
 * (http_retry, http_timeout, …). Resolves undefined when the pipeline shuts down.
 */
export function fetchJson(context: PluginContext, url: string, request: FetchJsonRequest): Promise<unknown> {
  return fetchJsonWithRetry(url, optionsFor(context, request))
}

/**
 * fetchJson resolving the whole answer: status, lower-case headers and body. For conditional polling (send
 * If-None-Match / If-Modified-Since; a 304 resolves with status 304 and no body) and cursor headers (CB-AFTER).
 */
export function fetchJsonResponse(
  context: PluginContext,
  url: string,
  request: FetchJsonRequest,
): Promise<JsonResponse | undefined> {
  return fetchJsonResponseWithRetry(url, optionsFor(context, request))
}

function optionsFor(context: PluginContext, request: FetchJsonRequest): FetchJsonOptions {
  return {
    headers: request.headers,
    timeoutMs: request.timeoutMs ?? 10_000,
    retry: context.retry,
    signal: request.signal ?? context.signal,
    logger: context.logger,
    count: context.count,
    describe: request.describe,
    authHint: request.authHint,
    check: request.check,
  }
}
