/**
 * The real coingecko source against the CoinGecko look-alike's hostile answers (the cases index.test.ts does not
 * already cover): Retry-After as an HTTP date and with HTML bodies, error objects and arrays served with 200, hung
 * requests, overflowing prices, bad market data and impossible timestamps, and a market_chart backfill through 429,
 * broken bodies and broken points. Each time: no crash, exactly the expected requests (the right retries), bad values
 * rejected and counted with their reason, good values emitted.
 */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import coingecko from '../../../../src/plugins/source/coingecko/index.js'
import type {EtlRecord, SourceInstance} from '../../../../src/runtime/plugin-types.js'
import {
  BAD_CHART_POINTS,
  startFakeCoinGecko,
  type ChartFault,
  type Fault,
  type FakeCoinGecko,
} from '../../../support/fake-coingecko.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('coingecko source: hostile answers', function () {
  this.timeout(60_000)
  let fake: FakeCoinGecko
  /** Stops the source a test started, even when the test failed half-way (or mocha would wait on its polling). */
  let stopRunning: (() => Promise<void>) | undefined
  const saved = {key: process.env.COINGECKO_API_KEY, url: process.env.COINGECKO_BASE_URL}

  beforeEach(() => {
    delete process.env.COINGECKO_API_KEY
    delete process.env.COINGECKO_BASE_URL
  })

  afterEach(async () => {
    await stopRunning?.()
    stopRunning = undefined
    await fake?.close()
    for (const [name, value] of [
      ['COINGECKO_API_KEY', saved.key],
      ['COINGECKO_BASE_URL', saved.url],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  /** The real plugin, created from its definition with schema defaults, polling the fake every 200 ms. */
  async function start(config: Record<string, unknown>, faults: {poll?: Fault[]; chart?: ChartFault[]} = {}) {
    fake = await startFakeCoinGecko({auto: true})
    fake.enqueue(...(faults.poll ?? []))
    fake.enqueueChart(...(faults.chart ?? []))
    const test = testContext({stateDir: mkdtempSync(join(tmpdir(), 'etl-cg-hostile-'))})
    const full = configFor(coingecko, {baseUrl: fake.baseUrl, interval: '200ms', timeout: '2s', ...config})
    const source = (await coingecko.create(full, test.context)) as SourceInstance
    const records: EtlRecord[] = []
    const controller = new AbortController()
    const running = source.run(async (batch) => void records.push(...batch), controller.signal)
    const until = async (done: () => boolean) => {
      for (const deadline = Date.now() + 30_000; !done(); await pause(10)) {
        if (Date.now() > deadline)
          throw new Error(`gave up waiting; records: ${JSON.stringify(records.map((r) => [r.coin_id, r.timestamp]))}`)
      }
    }
    const stop = async () => {
      controller.abort()
      await running // resolves: a bad answer never crashes the source
    }
    const count = (event: string) => test.counts.get(event) ?? 0
    stopRunning = stop
    return {...test, records, until, stop, count}
  }
  const polls = () => fake.requests.filter((r) => r.path === '/simple/price')

  const retryAfterCases = [
    {body: 'html', retryAfter: 1, retryAfterFormat: 'seconds'},
    {body: 'json', retryAfter: 2, retryAfterFormat: 'date'},
    {body: 'html', retryAfter: 2, retryAfterFormat: 'date'},
  ] as const
  for (const fault of retryAfterCases) {
    const {body, retryAfterFormat} = fault
    it(`429 with a ${body} body, Retry-After as ${retryAfterFormat}: one retry, not before that time`, async () => {
      const run = await start({coins: ['bitcoin']}, {poll: [{status: 429, ...fault}]})
      await run.until(() => run.records.length >= 1)
      await run.stop()
      const [first, second] = polls()
      const header = first.retryAfter!
      const notBefore = fault.retryAfterFormat === 'date' ? Date.parse(header) : first.at + Number(header) * 1000
      expect(header, 'the fake sent the header in the asked format').to.match(
        fault.retryAfterFormat === 'date' ? /GMT$/ : /^\d+$/,
      )
      expect(second.at).to.be.at.least(notBefore)
      expect([run.count('http_429'), run.count('http_retry')]).to.deep.equal([1, 1])
      expect(run.records[0]).to.include({coin_id: 'bitcoin', source: 'coingecko'})
    })
  }

  it('an error object or array served with 200, a hung request and a 503 are retried; then prices flow', async () => {
    const faults: Fault[] = [{malformed: 'error-200'}, {malformed: 'not-object'}, {hangMs: 5_000}, {status: 503}]
    const run = await start({coins: ['bitcoin'], timeout: '300ms'}, {poll: faults})
    await run.until(() => run.records.length >= 1)
    await run.stop()
    // Four failed attempts, then the good one. On a loaded machine the next regular poll (200 ms later) can come
    // before the stop; the counters say exactly what was retried.
    expect(polls().length, 'four failed attempts and the good one').to.be.at.least(5)
    expect(Object.fromEntries(run.counts)).to.include({http_bad_body: 2, http_timeout: 1, http_5xx: 1, http_retry: 4})
    const warnings = run.logs.filter((l) => l.includes(' WARN '))
    expect(warnings[0]).to.include('it is an error object ("You\'ve exceeded the Rate Limit')
    expect(warnings[1]).to.include('expected a JSON object, got an array')
    expect(warnings[2]).to.include('no answer within 300ms')
    expect(run.records[0]).to.include({coin_id: 'bitcoin', source: 'coingecko'})
  })

  it('rejects overflowing prices, bad market data and impossible timestamps value by value; rest flows', async () => {
    const faults: Fault[] = [
      {malformed: 'huge-price'},
      {malformed: 'bad-market-data'},
      {malformed: 'future-time'},
      {malformed: 'ancient-time'},
    ]
    const run = await start({coins: ['bitcoin', 'ethereum']}, {poll: faults})
    await run.until(() => polls().length >= 5 && run.records.filter((r) => r.coin_id === 'bitcoin').length >= 4)
    const pollsSeen = polls().length
    await run.stop()
    // ethereum is never corrupted: one record per poll; bitcoin loses only the overflowing price.
    const bitcoin = run.records.filter((r) => r.coin_id === 'bitcoin')
    expect(run.records.filter((r) => r.coin_id === 'ethereum')).to.have.length(pollsSeen)
    expect(bitcoin).to.have.length(pollsSeen - 1)
    for (const record of run.records)
      expect(Number.isFinite(record.price_usd) && (record.price_usd as number) > 0, JSON.stringify(record)).to.equal(
        true,
      )

    expect(run.count('rejected_invalid_price')).to.equal(1)
    expect(run.logs.find((l) => l.includes('rejected bitcoin usd price'))).to.include('not a finite number')

    const [badMarket, future, ancient] = bitcoin
    expect(badMarket).to.include({market_cap_usd: null, volume_24h_usd: null, change_24h_pct: null})
    expect(run.count('rejected_invalid_market_data')).to.equal(3)
    expect(run.logs.find((l) => l.includes('rejected bitcoin usd_market_cap'))).to.include('negative')
    expect(run.logs.find((l) => l.includes('rejected bitcoin usd_24h_vol'))).to.include('not a number (string)')

    // An impossible event time is replaced by the fetch time, never emitted (it would poison windows downstream).
    for (const record of [future, ancient]) {
      const time = Date.parse(record.timestamp as string)
      expect(time).to.be.within(Date.now() - 60_000, Date.now())
    }
    expect(run.count('rejected_invalid_timestamp')).to.equal(2)
    const timeWarning = run.logs.find((l) => l.includes('no usable last_updated_at for "bitcoin"'))
    expect(timeWarning).to.include('more than a day in the future')
    // The other numbers in those answers were fine and were kept.
    expect(future.market_cap_usd).to.be.a('number').above(0)
  })

  it('backfill: market_chart through a 429, a body without prices, a truncated one, then broken points', async () => {
    const chart: ChartFault[] = [
      {status: 429, retryAfter: 1, body: 'html'},
      {malformed: 'no-prices'},
      {malformed: 'truncated'},
      {malformed: 'bad-points'},
    ]
    const run = await start({coins: ['bitcoin'], backfill: '24h'}, {chart})
    await run.until(() => run.records.some((r) => r.source === 'coingecko'))
    await run.stop()
    const charts = fake.requests.filter((r) => r.path.endsWith('/market_chart'))
    expect(charts, 'three retried attempts, then the answer with broken points').to.have.length(4)
    expect(charts[1].at - charts[0].at).to.be.at.least(1000)
    expect(Object.fromEntries(run.counts)).to.include({
      http_429: 1,
      http_bad_body: 2,
      backfill_rejected_point: BAD_CHART_POINTS,
    })
    const history = run.records.filter((r) => r.source === 'coingecko_market_chart')
    expect(history.length).to.be.above(250)
    for (const record of history) {
      expect(Number.isFinite(record.price_usd) && (record.price_usd as number) > 0, JSON.stringify(record)).to.equal(
        true,
      )
      expect(Date.parse(record.timestamp as string)).to.be.within(Date.now() - 25 * 3_600_000, Date.now())
    }
    // The negative market cap only nulls that field; its price point is still emitted.
    expect(history.filter((r) => r.market_cap_usd === null)).to.have.length(1)
  })
})
