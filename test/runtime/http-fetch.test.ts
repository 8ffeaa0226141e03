import {expect} from 'chai'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {EtlError} from '../../src/runtime/errors.js'
import {
  fetchJsonResponseWithRetry,
  fetchJsonWithRetry,
  parseRetryAfter,
  RETRY_AFTER_CAP_MS,
  safeUrl,
} from '../../src/runtime/http-fetch.js'
import type {FetchJsonOptions} from '../../src/runtime/http-fetch.js'
import {registerSecret, type Logger} from '../../src/runtime/logger.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    res.writeHead(status, {'content-type': 'application/json', ...headers}).end(JSON.stringify(body))
const text =
  (status: number, body: string, type = 'text/html'): Handler =>
  (_req, res) =>
    res.writeHead(status, {'content-type': type}).end(body)
const hang: Handler = () => {} // never answers: the client's timeout or abort has to end it

/** A server answering with a script, one handler per request (the last one repeats). */
async function scripted(...script: Handler[]) {
  const seen: {at: number; headers: IncomingMessage['headers']; url: string}[] = []
  const server: Server = createServer((req, res) => {
    seen.push({at: Date.now(), headers: req.headers, url: req.url ?? ''})
    script[Math.min(seen.length - 1, script.length - 1)](req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/simple/price?ids=bitcoin`
  const close = () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {url, seen, close}
}

/** A logger that keeps lines unredacted, so a test proves the helper itself never writes a secret. */
function capture() {
  const lines: {level: string; text: string}[] = []
  const make = (): Logger => {
    const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push({level, text: `${message} ${JSON.stringify(fields ?? {})}`})
    return {debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: make}
  }
  const counts = new Map<string, number>()
  const count = (event: string, amount = 1) => counts.set(event, (counts.get(event) ?? 0) + amount)
  return {lines, counts, logger: make(), count}
}

describe('fetchJsonWithRetry', () => {
  let server: Awaited<ReturnType<typeof scripted>> | undefined
  afterEach(async () => server?.close())

  function options(extra: Partial<FetchJsonOptions> = {}) {
    const c = capture()
    const controller = new AbortController()
    const opts: FetchJsonOptions = {
      timeoutMs: 2000,
      retry: {maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 40},
      signal: controller.signal,
      logger: c.logger,
      count: c.count,
      describe: 'Test API',
      ...extra,
    }
    return {...c, controller, opts}
  }

  it('returns the parsed body of a 200 and sends the given headers', async () => {
    server = await scripted(json(200, {bitcoin: {usd: 1.5}}))
    const {opts, counts} = options({headers: {'x-api-key': 'k'}})
    expect(await fetchJsonWithRetry(server.url, opts)).to.deep.equal({bitcoin: {usd: 1.5}})
    expect(server.seen[0].headers['x-api-key']).to.equal('k')
    expect(server.seen[0].headers.accept).to.equal('application/json')
    expect(counts.size).to.equal(0)
  })

  it('waits at least Retry-After after a 429, logs and counts the retry, then succeeds', async () => {
    server = await scripted(json(429, {status: {error_code: 429}}, {'retry-after': '1'}), json(200, {ok: true}))
    const {opts, counts, lines} = options()
    expect(await fetchJsonWithRetry(server.url, opts)).to.deep.equal({ok: true})
    expect(server.seen[1].at - server.seen[0].at).to.be.at.least(1000)
    expect(Object.fromEntries(counts)).to.deep.equal({http_429: 1, http_retry: 1})
    const warn = lines.find((l) => l.level === 'warn')!
    expect(warn.text)
      .to.match(/429/)
      .and.match(/"attempt":1/)
      .and.match(/"delayMs":1000/)
      .and.match(/"status":429/)
  })

  it('retries a 429 with an HTML body and no Retry-After on the backoff schedule', async () => {
    server = await scripted(text(429, '<html><title>429 Too Many Requests</title></html>'), json(200, [1]))
    const {opts, counts} = options()
    expect(await fetchJsonWithRetry(server.url, opts)).to.deep.equal([1])
    expect(counts.get('http_429')).to.equal(1)
  })

  it('retries 5xx, HTML pages served with 200, truncated JSON and bodies the check refuses', async () => {
    server = await scripted(
      json(503, {error: 'down'}),
      text(200, '<!DOCTYPE html><html>Just a moment...</html>'),
      text(200, '{"bitcoin":{"usd":6718', 'application/json'),
      json(200, ['not', 'an', 'object']),
      json(200, {bitcoin: {usd: 2}}),
    )
    const {opts, counts, lines} = options({check: (b) => (Array.isArray(b) ? 'an array' : undefined)})
    expect(await fetchJsonWithRetry(server.url, opts)).to.deep.equal({bitcoin: {usd: 2}})
    expect(Object.fromEntries(counts)).to.deep.equal({http_5xx: 1, http_bad_body: 3, http_retry: 4})
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.text)
    expect(warnings).to.have.length(4)
    expect(warnings[1]).to.include('an HTML page')
    expect(warnings[2]).to.include('invalid or truncated JSON')
    expect(warnings[3]).to.include('an array')
  })

  it('retries a request that times out', async () => {
    server = await scripted(hang, json(200, {ok: 1}))
    const {opts, counts} = options({timeoutMs: 300})
    expect(await fetchJsonWithRetry(server.url, opts)).to.deep.equal({ok: 1})
    expect(counts.get('http_timeout')).to.equal(1)
  })

  it('gives up with ETL_SOURCE_HTTP after maxAttempts network errors', async () => {
    server = await scripted(json(200, {}))
    const url = server.url
    await server.close()
    server = undefined
    const {opts, counts} = options({retry: {maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10}})
    const error = await fetchJsonWithRetry(url, opts).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(EtlError).with.property('code', 'ETL_SOURCE_HTTP')
    expect((error as EtlError).message).to.match(/failed 3 times in a row; last: network error/)
    expect(counts.get('http_network_error')).to.equal(3)
    expect(counts.get('http_retry')).to.equal(2)
  })

  it('does not retry 401: ETL_SOURCE_PERMANENT with the hint, and the key stays out of messages and logs', async () => {
    const key = 'CG-secret-key-for-http-fetch-test'
    registerSecret(key)
    const body = {status: {error_code: 10002, error_message: `API Key Missing or wrong: ${key}`}}
    server = await scripted(json(401, body))
    const {opts, lines} = options({headers: {'x-cg-demo-api-key': key}, authHint: 'Set COINGECKO_API_KEY.'})
    const error = (await fetchJsonWithRetry(server.url, opts).catch((e: unknown) => e)) as EtlError
    expect(error.code).to.equal('ETL_SOURCE_PERMANENT')
    expect(error.message).to.match(/HTTP 401.*API Key Missing.*missing, invalid or not valid for this plan/)
    expect(error.message).to.include('Set COINGECKO_API_KEY.')
    expect(error.message).not.to.include(key)
    expect(server.seen).to.have.length(1)
    expect(server.seen[0].url).not.to.include(key)
    for (const line of lines) expect(line.text).not.to.include(key)
  })

  for (const [status, said] of [
    [404, 'coin not found'],
    [400, 'invalid vs_currency'],
  ] as const) {
    it(`does not retry ${status}: ETL_SOURCE_PERMANENT quoting the API's error`, async () => {
      server = await scripted(json(status, {error: said}))
      const {opts} = options()
      const error = (await fetchJsonWithRetry(server.url, opts).catch((e: unknown) => e)) as EtlError
      expect(error.code).to.equal('ETL_SOURCE_PERMANENT')
      expect(error.message).to.include(`HTTP ${status}`).and.include(said)
      expect(error.details).to.include({status})
      expect(server.seen).to.have.length(1)
    })
  }

  it('resolves undefined when aborted during a request', async () => {
    server = await scripted(hang)
    const {opts, controller} = options({timeoutMs: 600_000})
    const pending = fetchJsonWithRetry(server.url, opts)
    while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    controller.abort()
    expect(await pending).to.equal(undefined)
  })

  it('resolves undefined when aborted during a long Retry-After wait (which is capped at 10 minutes)', async () => {
    server = await scripted(json(429, {}, {'retry-after': '86400'}))
    const {opts, controller, counts, lines} = options()
    const pending = fetchJsonWithRetry(server.url, opts)
    while (!counts.get('http_retry')) await new Promise((resolve) => setTimeout(resolve, 10))
    controller.abort()
    expect(await pending).to.equal(undefined)
    expect(server.seen).to.have.length(1)
    expect(lines.find((l) => l.level === 'warn')?.text).to.include(`"delayMs":${RETRY_AFTER_CAP_MS}`)
  })

  it('returns undefined at once for an already aborted signal', async () => {
    server = await scripted(json(200, {}))
    const {opts, controller} = options()
    controller.abort()
    expect(await fetchJsonWithRetry(server.url, opts)).to.equal(undefined)
    expect(server.seen).to.have.length(0)
  })
})

describe('fetchJsonResponseWithRetry', () => {
  let server: Awaited<ReturnType<typeof scripted>> | undefined
  afterEach(async () => server?.close())
  const notModified: Handler = (_req, res) => res.writeHead(304, {etag: '"v1"'}).end()
  const opts = (headers: Record<string, string>): FetchJsonOptions => {
    const c = capture()
    const retry = {maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20}
    return {timeoutMs: 2000, retry, signal: new AbortController().signal, ...c, describe: 'Test API', headers}
  }

  it('resolves status, lower-case headers and body', async () => {
    server = await scripted(json(200, [1], {ETag: '"v1"', 'CB-AFTER': '42'}))
    const response = await fetchJsonResponseWithRetry(server.url, opts({}))
    expect(response).to.deep.include({status: 200, body: [1]})
    expect(response?.headers).to.include({etag: '"v1"', 'cb-after': '42'})
  })

  it('accepts a 304 to a conditional request as an answer without a body', async () => {
    server = await scripted(notModified)
    const response = await fetchJsonResponseWithRetry(server.url, opts({'If-None-Match': '"v1"'}))
    expect(response).to.deep.include({status: 304, body: undefined})
    expect(server.seen[0].headers['if-none-match']).to.equal('"v1"')
  })

  it('treats a 304 to an unconditional request as a broken answer (retried, then ETL_SOURCE_HTTP)', async () => {
    server = await scripted(notModified)
    const error = await fetchJsonResponseWithRetry(server.url, opts({})).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(EtlError).with.property('code', 'ETL_SOURCE_HTTP')
    expect(server.seen).to.have.length(2)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-08-08T16:10:00Z')
  it('reads delta-seconds', () => expect(parseRetryAfter('30', now)).to.equal(30_000))
  it('reads an HTTP date', () => expect(parseRetryAfter('Fri, 08 Aug 2025 16:10:45 GMT', now)).to.equal(45_000))
  it('treats a past date as no wait', () => expect(parseRetryAfter('Fri, 08 Aug 2025 16:00:00 GMT', now)).to.equal(0))
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).to.equal(undefined)
    expect(parseRetryAfter('soon', now)).to.equal(undefined)
  })
})

describe('safeUrl', () => {
  it('masks key-like query parameters and keeps the rest', () => {
    const shown = safeUrl('https://api.coingecko.com/api/v3/simple/price?ids=bitcoin,ethereum&x_cg_demo_api_key=abc123')
    expect(shown).to.equal('https://api.coingecko.com/api/v3/simple/price?ids=bitcoin,ethereum&x_cg_demo_api_key=***')
  })
})
