/** Drives the real coingecko source against the local CoinGecko look-alike: records, dedupe, faults, keys, abort. */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Ajv} from 'ajv'
import {expect} from 'chai'
import coingecko from '../../../../src/plugins/source/coingecko/index.js'
import type {CoinGeckoConfig} from '../../../../src/plugins/source/coingecko/settings.js'
import type {EtlError} from '../../../../src/runtime/errors.js'
import type {Logger} from '../../../../src/runtime/logger.js'
import type {EtlRecord, PluginContext, SourceInstance} from '../../../../src/runtime/plugin-types.js'
import {startFakeCoinGecko, type FakeCoinGecko, type ServedPrice} from '../../../support/fake-coingecko.js'
import type {FakeCoinGeckoOptions} from '../../../support/fake-coingecko.js'
import {systemClock} from '../../../../src/runtime/clock.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const FAST = {interval: '200ms', timeout: '2s'}
/** The stage's `retry:` as the runtime hands it over (context.retry), fast for tests. */
const FAST_RETRY = {maxAttempts: 0, initialDelayMs: 20, maxDelayMs: 100}

/** What the source must emit for a served price (market data included, as by default). */
const expected = (s: ServedPrice, symbol: string): EtlRecord => ({
  symbol,
  [`price_${s.vs}`]: s.price,
  timestamp: new Date((s.last_updated_at as number) * 1000).toISOString(),
  coin_id: s.coin_id,
  vs_currency: s.vs,
  source: 'coingecko',
  [`market_cap_${s.vs}`]: s.market_cap,
  [`volume_24h_${s.vs}`]: s.volume_24h,
  change_24h_pct: s.change_24h,
})
const SYMBOL: Record<string, string> = {bitcoin: 'BTC', ethereum: 'ETH'}

describe('coingecko source', () => {
  let fake: FakeCoinGecko
  const savedEnv = {key: process.env.COINGECKO_API_KEY, url: process.env.COINGECKO_BASE_URL}
  beforeEach(() => {
    delete process.env.COINGECKO_API_KEY
    delete process.env.COINGECKO_BASE_URL
  })
  afterEach(async () => {
    await fake?.close()
    for (const [name, value] of [
      ['COINGECKO_API_KEY', savedEnv.key],
      ['COINGECKO_BASE_URL', savedEnv.url],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  interface Harness {
    /** Aborts from inside emit once this many records arrived, so no further poll starts. */
    stopAfter?: number
    /** Runs inside emit after the records are kept (a slow broker). */
    onEmit?: () => Promise<void>
    /** Sets up the fake (prices, faults) before the first poll. */
    prepare?: (fake: FakeCoinGecko) => void
    /** The plugin's state folder (default: a new temporary one). */
    stateDir?: string
    /** A checkpoint an earlier run emitted: handed to restore() before run(), as the runtime does on a restart. */
    restoreFrom?: unknown
    /** Reuse a running fake instead of starting one (a restart against the same API). */
    keepFake?: boolean
    /** Overrides of the stage's retry policy (context.retry). */
    retry?: Partial<PluginContext['retry']>
  }

  /** Starts a fake and the real source against it, with a test context that records logs and counts. */
  async function start(config: CoinGeckoConfig, fakeOptions: FakeCoinGeckoOptions = {}, harness: Harness = {}) {
    const {stopAfter = Infinity, onEmit = async () => {}, prepare = () => {}} = harness
    if (!harness.keepFake) fake = await startFakeCoinGecko(fakeOptions)
    prepare(fake)
    const lines: string[] = []
    const counts = new Map<string, number>()
    const controller = new AbortController()
    // Unredacted on purpose: a test that finds no key here proves the source never logs it.
    const logger: Logger = {
      debug: (m, f) => lines.push(`DEBUG ${m} ${JSON.stringify(f ?? {})}`),
      info: (m, f) => lines.push(`INFO ${m} ${JSON.stringify(f ?? {})}`),
      warn: (m, f) => lines.push(`WARN ${m} ${JSON.stringify(f ?? {})}`),
      error: (m, f) => lines.push(`ERROR ${m} ${JSON.stringify(f ?? {})}`),
      child: () => logger,
    }
    const ctx: PluginContext = {
      logger,
      pipelineName: 'test',
      pipelineDir: process.cwd(),
      stateDir: harness.stateDir ?? mkdtempSync(join(tmpdir(), 'etl-coingecko-')),
      resolvePath: (p) => p,
      signal: controller.signal,
      count: (event, n = 1) => counts.set(event, (counts.get(event) ?? 0) + n),
      reject: (record, code, reason) => void lines.push(`REJECT ${code} ${reason} ${JSON.stringify(record)}`),
      retry: {...FAST_RETRY, ...harness.retry},
      registerSecret: (value) => void (value && lines.push(`SECRET registered (${value.length} characters)`)),
      clock: systemClock,
    }
    const source = (await coingecko.create({baseUrl: fake.baseUrl, ...FAST, ...config}, ctx)) as SourceInstance
    if (harness.restoreFrom !== undefined) await source.restore!(harness.restoreFrom)
    const records: EtlRecord[] = []
    const checkpoints: unknown[] = []
    const sizes: number[] = []
    const running = source.run(async (batch, checkpoint) => {
      records.push(...batch)
      sizes.push(batch.length)
      // Through JSON, as it travels through the source-state topic.
      checkpoints.push(checkpoint === undefined ? undefined : JSON.parse(JSON.stringify(checkpoint)))
      if (records.length >= stopAfter) controller.abort()
      await onEmit()
    }, controller.signal)
    running.catch(() => {}) // awaited by the tests that expect a rejection
    const until = async (done: () => boolean) => {
      while (!done()) await pause(10)
    }
    const stop = async () => {
      controller.abort()
      await running
    }
    return {lines, counts, records, checkpoints, sizes, running, until, stop, controller}
  }

  it('emits exactly the prices served: symbol, price_<vs>, event-time timestamp, market data', async () => {
    const config = {coins: ['bitcoin', 'ethereum'], vsCurrencies: ['usd', 'eur']}
    const run = await start(config, {auto: true}, {stopAfter: 8})
    await run.running
    expect(fake.served).to.have.length(8)
    expect(run.records).to.deep.equal(fake.served.map((s) => expected(s, SYMBOL[s.coin_id])))
    expect(Object.keys(run.records[0])).to.deep.equal([
      'symbol',
      'price_usd',
      'timestamp',
      'coin_id',
      'vs_currency',
      'source',
      'market_cap_usd',
      'volume_24h_usd',
      'change_24h_pct',
    ])
    expect(run.records[4].timestamp).to.not.equal(run.records[0].timestamp)
    const [request] = fake.requests
    expect(request.path).to.equal('/simple/price')
    expect(request.query).to.deep.equal({
      ids: 'bitcoin,ethereum',
      vs_currencies: 'usd,eur',
      include_last_updated_at: 'true',
      precision: 'full',
      include_market_cap: 'true',
      include_24hr_vol: 'true',
      include_24hr_change: 'true',
    })
    expect(request.headers).not.to.have.any.keys('x-cg-demo-api-key', 'x-cg-pro-api-key')
  })

  it('without market data: the original shape only; custom and derived symbols', async () => {
    const config = {coins: ['ethereum', 'my-token'], symbols: {ethereum: 'ETHER'}, includeMarketData: false}
    const run = await start(config, {}, {stopAfter: 2, prepare: (f) => f.setPrice('my-token', 'usd', 0.25, 1754669400)})
    await run.running
    expect(run.records[1]).to.deep.equal({
      symbol: 'MY-TOKEN',
      price_usd: 0.25,
      timestamp: '2025-08-08T16:10:00.000Z',
      coin_id: 'my-token',
      vs_currency: 'usd',
      source: 'coingecko',
    })
    expect(run.records[0].symbol).to.equal('ETHER')
    expect(fake.requests[0].query).not.to.have.any.keys('include_market_cap', 'include_24hr_vol', 'include_24hr_change')
  })

  it('skips and counts a coin whose last_updated_at has not changed, then emits once it moves', async () => {
    const run = await start({coins: ['bitcoin', 'ethereum']})
    await run.until(() => (run.counts.get('duplicate_skipped') ?? 0) >= 4)
    expect(run.records).to.have.length(2)
    fake.advance()
    await run.until(() => run.records.length >= 4)
    await run.stop()
    expect(run.records).to.have.length(4)
    const times = new Set(fake.served.map((s) => s.last_updated_at))
    expect(times.size).to.equal(2)
    expect(run.records.slice(2)).to.deep.equal(fake.served.slice(-2).map((s) => expected(s, SYMBOL[s.coin_id])))
    expect(run.lines.some((l) => l.startsWith('DEBUG skipped bitcoin/usd'))).to.equal(true)
  })

  it('429 with Retry-After: retries no sooner than asked, then the records flow', async () => {
    const run = await start(
      {coins: ['bitcoin']},
      {},
      {
        stopAfter: 1,
        prepare: (f) => f.enqueue({status: 429, retryAfter: 1, body: 'json'}),
      },
    )
    await run.running
    const [first, second] = fake.requests
    expect(second.at - first.at).to.be.at.least(1000)
    expect(run.records).to.deep.equal(fake.served.map((s) => expected(s, 'BTC')))
    expect(run.counts.get('http_429')).to.equal(1)
    expect(run.counts.get('http_retry')).to.equal(1)
    expect(run.lines.find((l) => l.startsWith('WARN'))).to.match(/HTTP 429.*"status":429,"attempt":1/)
  })

  it('429 with an HTML body, 500, truncated JSON and an HTML 200 page are all retried and counted', async () => {
    const faults = [{status: 429, body: 'html'}, {status: 500}, {malformed: 'truncated'}, {malformed: 'html'}] as const
    const run = await start({coins: ['bitcoin']}, {}, {stopAfter: 1, prepare: (f) => f.enqueue(...faults)})
    await run.running
    expect(fake.requests).to.have.length(5)
    expect(run.records).to.deep.equal(fake.served.map((s) => expected(s, 'BTC')))
    expect(Object.fromEntries(run.counts)).to.include({http_429: 1, http_5xx: 1, http_bad_body: 2, http_retry: 4})
    expect(run.lines.filter((l) => l.startsWith('WARN'))).to.have.length(4)
  })

  it('rejects and counts wrong types, negative and NaN prices while valid coins in the same answer flow', async () => {
    const faults = [{malformed: 'wrong-types'}, {malformed: 'negative-price'}, {malformed: 'nan-price'}] as const
    const run = await start({coins: ['bitcoin', 'ethereum']}, {auto: true}, {prepare: (f) => f.enqueue(...faults)})
    await run.until(() => run.records.some((r) => r.coin_id === 'bitcoin'))
    await run.stop()
    expect(run.records.map((r) => r.coin_id)).to.deep.equal(['ethereum', 'ethereum', 'ethereum', 'bitcoin', 'ethereum'])
    expect(run.records).to.deep.equal(fake.served.filter((s) => s.valid).map((s) => expected(s, SYMBOL[s.coin_id])))
    expect(run.counts.get('rejected_invalid_price')).to.equal(3)
    expect(run.counts.get('missing_last_updated_at')).to.equal(1)
    const rejected = run.lines.filter((l) => l.startsWith('WARN rejected bitcoin usd price'))
    expect(rejected[0]).to.include(String.raw`"value":"\"67187.3358936566\""`)
    expect(rejected[1]).to.match(/"value":"-6\d+\.\d+"/)
    expect(rejected[2]).to.include('"value":"null"')
  })

  it('warns once per unknown coin id and counts every miss', async () => {
    const run = await start({coins: ['bitcoin', 'bitcon']}, {auto: true}, {stopAfter: 3})
    await run.running
    expect(run.records.map((r) => r.coin_id)).to.deep.equal(['bitcoin', 'bitcoin', 'bitcoin'])
    expect(run.counts.get('unknown_coin_id')).to.equal(3)
    const warnings = run.lines.filter((l) => l.startsWith('WARN'))
    expect(warnings).to.have.length(1)
    expect(warnings[0]).to.include('unknown coin id "bitcon": CoinGecko returned nothing for it')
  })

  it('a rejected key stops the run (ETL_SOURCE_PERMANENT); the key is never logged or shown', async () => {
    const key = 'CG-wrongKey-9f8e7d6c5b4a'
    const run = await start({coins: ['bitcoin'], apiKey: key}, {requireKey: true, apiKey: 'CG-rightKey-0000'})
    const error = (await run.running.then(
      () => undefined,
      (e: unknown) => e,
    )) as EtlError
    expect(error.code).to.equal('ETL_SOURCE_PERMANENT')
    expect(error.message).to.match(/HTTP 401.*API key is missing, invalid.*COINGECKO_API_KEY/)
    expect(error.message).not.to.include(key)
    expect(fake.requests).to.have.length(1)
    expect(fake.requests[0].headers['x-cg-demo-api-key']).to.equal(key)
    expect(JSON.stringify(fake.requests[0].query)).not.to.include(key)
    expect(run.lines.length).to.be.above(0)
    for (const line of run.lines) expect(line).not.to.include(key)
  })

  it('a 401 without any key also stops the run, naming the variable to set', async () => {
    const run = await start({coins: ['bitcoin']}, {}, {prepare: (f) => f.enqueue({status: 401})})
    const error = (await run.running.catch((e: unknown) => e)) as EtlError
    expect(error.code).to.equal('ETL_SOURCE_PERMANENT')
    expect(error.message).to.include('API Key Missing').and.include('COINGECKO_API_KEY')
  })

  it('sends the demo header by default and the pro header for plan pro', async () => {
    process.env.COINGECKO_API_KEY = 'CG-envDemoKey-1234'
    const demo = await start({coins: ['bitcoin']}, {requireKey: true, apiKey: 'CG-envDemoKey-1234'}, {stopAfter: 1})
    await demo.running
    expect(fake.requests[0].headers['x-cg-demo-api-key']).to.equal('CG-envDemoKey-1234')
    expect(fake.requests[0].headers).not.to.have.property('x-cg-pro-api-key')
    await fake.close()
    const proConfig = {coins: ['bitcoin'], plan: 'pro' as const, apiKey: 'CG-proKey-5678'}
    const pro = await start(proConfig, {requireKey: true, plan: 'pro'}, {stopAfter: 1})
    await pro.running
    expect(fake.requests[0].headers['x-cg-pro-api-key']).to.equal('CG-proKey-5678')
    expect(fake.requests[0].headers).not.to.have.property('x-cg-demo-api-key')
  })

  it('reads COINGECKO_BASE_URL at create time; picks the host by plan; pro needs a key', async () => {
    fake = await startFakeCoinGecko()
    process.env.COINGECKO_BASE_URL = fake.baseUrl
    const infos: string[] = []
    const logger: Logger = {
      debug() {},
      info: (m, f) => infos.push(`${m} ${JSON.stringify(f)}`),
      warn() {},
      error() {},
      child: () => logger,
    }
    const stateDir = mkdtempSync(join(tmpdir(), 'etl-coingecko-'))
    const ctx = {
      logger,
      stateDir,
      signal: new AbortController().signal,
      count: () => {},
      registerSecret: () => {},
      clock: systemClock,
    } as unknown as PluginContext
    const create = (config: CoinGeckoConfig) => coingecko.create(config, ctx) as SourceInstance
    const controller = new AbortController()
    await create({coins: ['bitcoin'], interval: '1h'}).run(async () => controller.abort(), controller.signal)
    expect(fake.requests).to.have.length(1)

    delete process.env.COINGECKO_BASE_URL
    const aborted = AbortSignal.abort() // logs its settings, then stops before any request: no internet here
    await create({plan: 'pro', apiKey: 'CG-proKey-5678'}).run(async () => {}, aborted)
    expect(infos.at(-1)).to.include('"baseUrl":"https://pro-api.coingecko.com/api/v3"').and.include('"key":"set"')
    await create({}).run(async () => {}, aborted)
    expect(infos.at(-1)).to.include('"baseUrl":"https://api.coingecko.com/api/v3"').and.include('"key":"none"')
    expect(() => create({plan: 'pro'})).to.throw(/plan "pro" needs an API key/)
    expect(() => create({interval: '0s'})).to.throw(/interval must be greater than zero/)
  })

  it('stops promptly when aborted mid-request and during a long Retry-After wait', async () => {
    const hung = await start({coins: ['bitcoin'], timeout: '10m'}, {}, {prepare: (f) => f.enqueue({hangMs: 600_000})})
    await hung.until(() => fake.requests.length === 1)
    await hung.stop()
    expect(hung.records).to.have.length(0)
    await fake.close()
    const rateLimit = {status: 429, retryAfter: 600, body: 'json'} as const
    const waiting = await start({coins: ['bitcoin']}, {}, {prepare: (f) => f.enqueue(rateLimit)})
    await waiting.until(() => waiting.counts.get('http_retry') === 1)
    await waiting.stop()
    expect(fake.requests).to.have.length(1)
  })

  it('skips the ticks a slow poll overran instead of firing them in a burst', async () => {
    const prepare = (f: FakeCoinGecko) => f.enqueue({hangMs: 700})
    const run = await start({coins: ['bitcoin']}, {auto: true}, {stopAfter: 2, prepare})
    await run.running
    expect(run.counts.get('poll_ticks_skipped')).to.be.at.least(1)
    expect(fake.requests).to.have.length(2)
  })

  it('does not poll again while emit is still pending (backpressure)', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const run = await start({coins: ['bitcoin']}, {auto: true}, {onEmit: () => gate})
    await run.until(() => run.records.length === 1)
    await pause(700) // several intervals
    expect(fake.requests).to.have.length(1)
    release()
    await run.until(() => run.records.length === 2)
    await run.stop()
  })

  it('has a strict, documented schema whose defaults fill a minimal config', () => {
    const {configSchema} = coingecko
    const validate = new Ajv({strict: true, useDefaults: true}).compile(configSchema)
    const config: Record<string, unknown> = {}
    expect(validate(config), JSON.stringify(validate.errors)).to.equal(true)
    expect(config).to.deep.equal({
      coins: ['bitcoin', 'ethereum'],
      vsCurrencies: ['usd'],
      interval: '60s',
      plan: 'demo',
      includeMarketData: true,
      timeout: '10s',
    })
    for (const [name, property] of Object.entries(configSchema.properties)) {
      expect(property, name).to.include.keys('description', 'examples')
    }
    expect(configSchema.additionalProperties).to.equal(false)
    expect(validate({coin: ['bitcoin']})).to.equal(false)
    expect(validate({interval: 'every minute'})).to.equal(false)
    expect(validate({coins: []})).to.equal(false)
    expect(validate({plan: 'enterprise'})).to.equal(false)
    expect(coingecko.secrets).to.deep.equal(['apiKey'])
  })

  describe('backfill from market_chart', () => {
    const HOUR = 3_600_000

    /** The fake's market_chart answer, fetched here with plain fetch, independently of the plugin. */
    async function marketChart(id: string, days: number): Promise<{prices: [number, number][]}> {
      const response = await fetch(`${fake.baseUrl}/coins/${id}/market_chart?vs_currency=usd&days=${days}`)
      return (await response.json()) as {prices: [number, number][]}
    }

    it('emits the history oldest first before the first live price, without the API\'s "now" point', async () => {
      const run = await start({coins: ['bitcoin', 'ethereum'], backfill: '6h'}, {}, {stopAfter: Infinity})
      await run.until(() => run.records.some((r) => r.source === 'coingecko'))
      await run.stop()
      const history = run.records.filter((r) => r.source === 'coingecko_market_chart')
      const firstLive = run.records.findIndex((r) => r.source === 'coingecko')
      expect(firstLive).to.equal(history.length)
      const charts = fake.requests.filter((r) => r.path.endsWith('/market_chart'))
      expect(charts.map((r) => [r.path, r.query.days, r.query.vs_currency])).to.deep.equal([
        ['/coins/bitcoin/market_chart', '1', 'usd'],
        ['/coins/ethereum/market_chart', '1', 'usd'],
      ])
      const servedAt = charts[0].at
      for (const id of ['bitcoin', 'ethereum']) {
        const {prices} = await marketChart(id, 1)
        // 5-minute points within the last 6 h, excluding the final "now" point.
        const want = prices.slice(0, -1).filter(([t]) => t >= servedAt - 6 * HOUR - 1000 && t < servedAt)
        const got = history.filter((r) => r.coin_id === id)
        expect(got.map((r) => [Date.parse(r.timestamp as string), r.price_usd])).to.deep.equal(
          want.filter(([t]) => t >= Date.parse(got[0].timestamp as string)),
        )
        expect(got.length).to.be.within(71, 73)
        expect(got.every((r) => r.symbol === SYMBOL[id] && r.vs_currency === 'usd')).to.equal(true)
      }
      expect(run.counts.get('backfilled')).to.equal(history.length)
    })

    it('passes its progress as the checkpoint of every emit: newest event time emitted per coin/currency', async () => {
      const run = await start({coins: ['bitcoin', 'ethereum'], backfill: '1h'}, {}, {stopAfter: Infinity})
      await run.until(() => run.records.some((r) => r.source === 'coingecko'))
      await run.stop()
      expect(run.checkpoints.length).to.be.greaterThan(1)
      // After each emit, the checkpoint holds the newest time of every key emitted so far, this emit included.
      const seen = new Map<string, number>()
      let offset = 0
      for (const [i, checkpoint] of run.checkpoints.entries()) {
        const batch = run.records.slice(offset, (offset += run.sizes[i]))
        for (const r of batch) {
          const key = `${r.coin_id}/${r.vs_currency}`
          seen.set(key, Math.max(seen.get(key) ?? 0, Date.parse(r.timestamp as string)))
        }
        expect(checkpoint, `checkpoint ${i}`).to.deep.equal({latest: Object.fromEntries(seen)})
      }
    })

    it('a restart from its last checkpoint backfills nothing it emitted before and repeats no live price', async () => {
      const first = await start({coins: ['bitcoin'], backfill: '3h'})
      await first.until(() => first.records.some((r) => r.source === 'coingecko'))
      await first.stop()
      const restoreFrom = first.checkpoints[first.checkpoints.length - 1]
      const second = await start({coins: ['bitcoin'], backfill: '3h'}, {}, {restoreFrom, keepFake: true})
      await second.until(() => (second.counts.get('duplicate_skipped') ?? 0) >= 1)
      await second.stop()
      // Nothing in the second run is at or before what the first emitted: no repeated history, no repeated price.
      expect(second.records.filter((r) => r.source === 'coingecko')).to.deep.equal([])
      const newest = Math.max(...first.records.map((r) => Date.parse(r.timestamp as string)))
      for (const record of second.records) expect(Date.parse(record.timestamp as string)).to.be.greaterThan(newest)
    })
  })
})
