/**
 * GET a JSON document with the retry policy every HTTP source shares. Upstream APIs fail in boring ways (rate
 * limits, 5xx, CDN error pages served with 200, truncated bodies, hung connections); those are retried with backoff
 * until they pass. Errors retrying cannot fix (bad key, unknown id, bad parameters) throw at once, so a misconfigured
 * pipeline stops with a clear message instead of looping forever.
 *
 * Abort contract: when `signal` aborts (before or during a request, or during a backoff sleep) the call resolves
 * `undefined` promptly and never throws an abort error; callers check for `undefined` (or `signal.aborted`).
 */
import {formatDuration} from './duration.js'
import {EtlError, messageOf} from './errors.js'
import {redact, type Logger} from './logger.js'
import {retryDelay, sleep, type RetryPolicy} from './retry.js'

/**
 * node-fetch and its polyfills add about 18 MB of RSS when imported: loaded on the first request, so a pipeline
 * without an HTTP source (a replay, the process stage alone, a source worker thread) never pays for it.
 */
let nodeFetch: Promise<typeof import('node-fetch')> | undefined

/** The stage's retry policy (context.retry): attempts per call, 0 = unlimited (retry until `signal` aborts). */
export type HttpRetryOptions = RetryPolicy

export interface FetchJsonOptions {
  /** Request headers; API keys belong here, never in the URL (URLs are logged). */
  headers?: Record<string, string>
  /** Limit for one attempt, headers and body included. */
  timeoutMs: number
  retry: HttpRetryOptions
  signal: AbortSignal
  logger: Logger
  count: (event: string, amount?: number) => void
  /** Names the request in log lines and errors, e.g. 'CoinGecko /simple/price'. */
  describe: string
  /** Appended to the 401/403 error: which setting or environment variable holds the key. */
  authHint?: string
  /** Returns why a parsed body is unusable (it is then retried like an error page), or undefined to accept it. */
  check?: (body: unknown) => string | undefined
  /** Jitter source, replaceable in tests. */
  random?: () => number
}

/** Upper bound for a Retry-After wait: a date far ahead or a confused proxy must not park a source for hours. */
export const RETRY_AFTER_CAP_MS = 10 * 60_000

type Failure = {status?: number; reason: string; event: string; retryAfterMs?: number}
type Outcome = {response: JsonResponse} | {failure: Failure} | undefined

/**
 * A successful answer with what conditional requests and cursor pagination need: the status and response headers.
 * `status` 304 (only accepted when the request sent If-None-Match or If-Modified-Since) has `body` undefined.
 */
export interface JsonResponse {
  status: number
  body: unknown
  /** Response headers, names in lower case. */
  headers: Record<string, string>
}

/** A 304 is an answer only to a conditional request; to any other request it is a broken server. */
function isConditional(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((name) => /^if-(none-match|modified-since)$/i.test(name))
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The URL with the values of key-like query parameters masked, as a second line of defence for log lines. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    for (const name of [...parsed.searchParams.keys()]) {
      if (/key|token|secret|password|signature/i.test(name)) parsed.searchParams.set(name, '***')
    }
    return decodeURIComponent(parsed.toString())
  } catch {
    return '<invalid url>'
  }
}

/** The API's own explanation from an error body: `{"error": …}` or `{"status": {"error_message": …}}`. */
function apiErrorText(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as {error?: unknown; status?: {error_message?: unknown}}
    const message = body?.error ?? body?.status?.error_message
    if (typeof message === 'string' && message) return redact(message.slice(0, 300))
  } catch {
    // not JSON (an HTML page from a CDN): nothing worth quoting
  }
  return undefined
}

function permanent(status: number, text: string, url: string, options: FetchJsonOptions): EtlError {
  const said = apiErrorText(text)
  const quote = said ? ` ("${said}")` : ''
  const details = {status, url}
  if (status === 401 || status === 403) {
    const hint = options.authHint ? ` ${options.authHint}` : ''
    return new EtlError(
      'ETL_SOURCE_PERMANENT',
      `${options.describe} answered HTTP ${status}${quote}: the API key is missing, invalid or not valid for this ` +
        `plan.${hint}`,
      {details},
    )
  }
  return new EtlError('ETL_SOURCE_PERMANENT', `${options.describe} answered HTTP ${status}${quote} for ${url}`, {
    details,
  })
}

async function attemptOnce(url: string, shownUrl: string, options: FetchJsonOptions): Promise<Outcome> {
  // The timeout covers the body too: a server that sends headers and then stalls must not hang the source.
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = AbortSignal.any([options.signal, timeout])
  let status: number | undefined
  try {
    const {default: fetch} = await (nodeFetch ??= import('node-fetch'))
    const response = await fetch(url, {headers: {accept: 'application/json', ...options.headers}, signal})
    status = response.status
    const text = await response.text()
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
    const headers = Object.fromEntries(
      [...response.headers.entries()].map(([name, value]) => [name.toLowerCase(), value]),
    )
    if (status === 304 && isConditional(options.headers)) return {response: {status, body: undefined, headers}}
    if (status === 429) return {failure: {status, reason: 'HTTP 429 rate limited', event: 'http_429', retryAfterMs}}
    if (status >= 500 || status === 408) {
      return {failure: {status, reason: `HTTP ${status} server error`, event: 'http_5xx', retryAfterMs}}
    }
    if (status >= 400) throw permanent(status, text, shownUrl, options)
    if (!response.ok) return {failure: {status, reason: `unexpected HTTP ${status}`, event: 'http_bad_response'}}
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      const kind = /^\s*</.test(text) ? 'an HTML page' : 'invalid or truncated JSON'
      return {failure: {status, reason: `body is ${kind} (${text.length} bytes)`, event: 'http_bad_body'}}
    }
    const problem = options.check?.(body)
    if (problem) return {failure: {status, reason: `unusable body: ${problem}`, event: 'http_bad_body'}}
    return {response: {status, body, headers}}
  } catch (error) {
    if (error instanceof EtlError) throw error
    if (options.signal.aborted) return undefined
    if (timeout.aborted) {
      return {failure: {status, reason: `no answer within ${formatDuration(options.timeoutMs)}`, event: 'http_timeout'}}
    }
    return {failure: {status, reason: `network error: ${messageOf(error)}`, event: 'http_network_error'}}
  }
}

/**
 * Fetches `url` and returns its parsed JSON body, retrying passing faults (429, 408, 5xx, network errors, timeouts,
 * bodies that are not JSON or fail `check`). Waits max(Retry-After, backoff) between attempts, capped at
 * RETRY_AFTER_CAP_MS. Throws ETL_SOURCE_PERMANENT for other 4xx, ETL_SOURCE_HTTP once `maxAttempts` are used up.
 * Resolves undefined when `signal` aborts.
 */
export async function fetchJsonWithRetry(url: string, options: FetchJsonOptions): Promise<unknown> {
  return (await fetchJsonResponseWithRetry(url, options))?.body
}

/**
 * fetchJsonWithRetry that resolves the whole answer (status, headers, body) for ETag/Last-Modified polling and
 * cursor headers; a 304 to a conditional request is an answer, not a failure. Resolves undefined when `signal` aborts.
 */
export async function fetchJsonResponseWithRetry(
  url: string,
  options: FetchJsonOptions,
): Promise<JsonResponse | undefined> {
  const {retry, signal, logger, count, describe} = options
  const shownUrl = safeUrl(url)
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return undefined
    const outcome = await attemptOnce(url, shownUrl, options)
    if (outcome === undefined) return undefined
    if ('response' in outcome) {
      if (attempt > 1) logger.info(`${describe}: succeeded after ${attempt} attempts`, {url: shownUrl})
      return outcome.response
    }
    const {status, reason, event, retryAfterMs} = outcome.failure
    count(event)
    if (retry.maxAttempts > 0 && attempt >= retry.maxAttempts) {
      throw new EtlError('ETL_SOURCE_HTTP', `${describe} failed ${attempt} times in a row; last: ${redact(reason)}`, {
        details: {status, attempts: attempt, url: shownUrl},
      })
    }
    const backoffMs = retryDelay(attempt, retry, options.random)
    const delayMs = Math.min(RETRY_AFTER_CAP_MS, Math.max(retryAfterMs ?? 0, backoffMs))
    count('http_retry')
    logger.warn(`${describe}: ${reason}; retrying in ${formatDuration(delayMs)}`, {
      status,
      attempt,
      maxAttempts: retry.maxAttempts || 'unlimited',
      delayMs,
      retryAfterMs,
      url: shownUrl,
    })
    await sleep(delayMs, signal)
  }
}
