import {expect} from 'chai'
import alert from '../../../src/plugins/transform/alert.js'
import zscore from '../../../src/plugins/transform/zscore.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext, issuesOf} from '../../support/plugin-context.js'
import {btcDaily, btcEurDaily, expectClose, interleave, runBatches, seriesOf} from '../shared/rolling/price-history.js'

async function alertTransform(config: Record<string, unknown>) {
  const test = testContext()
  const instance = (await alert.create(configFor(alert, config), test.context)) as TransformInstance
  return {...test, instance, process: async (records: EtlRecord[]) => instance.process(records)}
}

const T0 = Date.parse('2024-03-01T00:00:00.000Z')
const MINUTE = 60_000
/** A price record `minutes` after T0 (fractions allowed, for millisecond boundaries). */
const at = (minutes: number, price: unknown, symbol = 'BTC'): EtlRecord => ({
  timestamp: new Date(T0 + minutes * MINUTE).toISOString(),
  symbol,
  vs_currency: 'usd',
  price_usd: price,
})
const alertsOf = (records: EtlRecord[]) => records.filter((record) => record.record_type === 'alert')
const above100 = {rules: [{name: 'btc-100', field: 'price_usd', above: 100}]}

describe('alert transform', () => {
  describe('threshold rules', () => {
    it('fires once when the condition becomes true, stays quiet while it holds, re-arms when it is false', async () => {
      const {process, counts} = await alertTransform(above100)
      const input = [at(0, 90), at(1, 101), at(2, 105), at(3, 99), at(4, 102)]
      const out = await process(input)
      expect(out.filter((record) => record.record_type !== 'alert')).to.deep.equal(input)
      expect(out.map((record) => record.record_type ?? 'input')).to.deep.equal([
        'input',
        'input',
        'alert',
        'input',
        'input',
        'input',
        'alert',
      ])
      expect(out[2]).to.deep.equal({
        record_type: 'alert',
        alert: 'btc-100',
        symbol: 'BTC',
        vs_currency: 'usd',
        value: 101,
        message: 'BTC/usd: price_usd is 101, above 100',
        time: '2024-03-01T00:01:00.000Z',
        triggered_by: '2024-03-01T00:01:00.000Z',
      })
      expect(out[6]).to.include({value: 102, triggered_by: input[4].timestamp})
      expect(counts.get('alerts_fired')).to.equal(2)
    })

    it("compares strictly, fires on a series' first record, and keeps each series' state apart", async () => {
      const {process} = await alertTransform({rules: [{name: 'cheap', field: 'price_usd', below: 50}]})
      const out = await process([
        at(0, 40),
        at(0, 60, 'ETH'),
        at(1, 50),
        at(1, 45, 'ETH'),
        at(2, 49.99),
        at(2, 44, 'ETH'),
      ])
      expect(alertsOf(out).map((a) => [a.symbol, a.value, a.message])).to.deep.equal([
        ['BTC', 40, 'BTC/usd: price_usd is 40, below 50'],
        ['ETH', 45, 'ETH/usd: price_usd is 45, below 50'],
        ['BTC', 49.99, 'BTC/usd: price_usd is 49.99, below 50'],
      ])
    })

    it('skips a null or absent field (a warming-up indicator) without re-arming, and counts it', async () => {
      const {process, counts} = await alertTransform(above100)
      const out = await process([
        at(0, 101),
        at(1, null),
        {...at(2, 0), price_usd: undefined},
        at(3, 102),
        at(4, 99),
        at(5, 101),
      ])
      expect(alertsOf(out).map((a) => a.value)).to.deep.equal([101, 101])
      expect(out).to.have.length(8)
      expect(counts.get('alert_value_missing')).to.equal(2)
    })

    it('dead-letters a present but non-finite value before any rule sees the record', async () => {
      const {process, rejected} = await alertTransform({
        rules: [
          {name: 'volume', field: 'volume', above: 0},
          {name: 'price', field: 'price_usd', above: 100},
        ],
      })
      const bad = [
        {...at(0, 'abc'), volume: 5},
        {...at(1, 200), volume: Infinity},
      ]
      const out = await process([...bad, {...at(2, 50), volume: 5}])
      // Had the first rule updated its state for the rejected record, it would not fire on the good one.
      expect(out.map((record) => record.alert ?? record.price_usd)).to.deep.equal([50, 'volume'])
      expect(rejected.map((r) => [r.record, r.code, r.reason])).to.deep.equal([
        [bad[0], 'ETL_VALUE_NOT_FINITE', 'rule "price": price_usd is "abc", not a finite number'],
        [bad[1], 'ETL_VALUE_NOT_FINITE', 'rule "volume": volume is Infinity, not a finite number'],
      ])
    })

    it('stamps an alert with the processing time when the trigger has no event time', async () => {
      const {process} = await alertTransform(above100)
      const before = Date.now()
      const [, fired] = await process([{symbol: 'BTC', price_usd: 150}])
      expect(fired.triggered_by).to.equal(null)
      expect(Date.parse(fired.time as string)).to.be.within(before, Date.now())
    })
  })

  describe('when rules', () => {
    it('fire on the edges of an expression over fields an earlier transform added (real BTC z-scores)', async () => {
      const scored = (await zscore.create(configFor(zscore, {period: 20}), testContext().context)) as TransformInstance
      const stream = await scored.process(interleave([btcDaily(), btcEurDaily()]))
      const {process} = await alertTransform({
        rules: [{name: 'spike', when: 'abs(price_usd_zscore_20) >= 3', field: 'price_usd_zscore_20'}],
      })
      const out = await process(stream)
      const expected: EtlRecord[] = []
      for (const currency of ['usd', 'eur']) {
        let active = false
        for (const record of seriesOf(stream, 'BTC', currency)) {
          const z = record.price_usd_zscore_20 as number | null
          const condition = z !== null && Math.abs(z) >= 3
          if (condition && !active) expected.push({vs_currency: currency, value: z, triggered_by: record.timestamp})
          active = condition
        }
      }
      const alerts = alertsOf(out)
      expect(alerts.length).to.be.greaterThan(10)
      const pick = (a: EtlRecord) => ({vs_currency: a.vs_currency, value: a.value, triggered_by: a.triggered_by})
      const sortKey = (a: EtlRecord) => `${a.vs_currency} ${a.triggered_by}`
      expect(alerts.map(pick).sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).to.deep.equal(
        expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
      )
      expect(alerts[0].message).to.match(
        /^BTC\/(usd|eur): abs\(price_usd_zscore_20\) >= 3 became true \(price_usd_zscore_20 = /,
      )
    })

    it('reports null as value without `field`, and re-arms on a record where a field is missing', async () => {
      const {process} = await alertTransform({rules: [{name: 'up', when: 'price_usd > 10'}]})
      const out = await process([
        at(0, 11),
        {symbol: 'BTC', vs_currency: 'usd', timestamp: at(1, 0).timestamp},
        at(2, 12),
      ])
      expect(alertsOf(out).map((a) => [a.value, a.triggered_by])).to.deep.equal([
        [null, at(0, 0).timestamp],
        [null, at(2, 0).timestamp],
      ])
    })
  })

  describe('percentMove rules', () => {
    const move = (extra: Record<string, unknown> = {}) => ({
      rules: [{name: 'fast', percentMove: {field: 'price_usd', percent: 5, within: '1h', ...extra}}],
    })

    it('counts a value exactly `within` old and ignores one a millisecond older', async () => {
      const inside = await (await alertTransform(move())).process([at(0, 100), at(60, 105)])
      expect(alertsOf(inside).map((a) => [a.value, a.message])).to.deep.equal([
        [5, 'BTC/usd: price_usd rose 5% within 1h: 100 at 2024-03-01T00:00:00.000Z → 105'],
      ])
      const outside = await (await alertTransform(move())).process([at(0, 100), at(60 + 1 / MINUTE, 105)])
      expect(alertsOf(outside)).to.deep.equal([])
    })

    it('measures from the lowest and highest value in the window, not from its first', async () => {
      const {process} = await alertTransform(move())
      const out = await process([at(0, 100), at(30, 97), at(50, 101.9)])
      const [fired] = alertsOf(out)
      expectClose(fired.value, ((101.9 - 97) / 97) * 100, 'rise from the window low')
      expect(fired.triggered_by).to.equal(at(50, 0).timestamp)
    })

    it('reports falls as negative, re-arms each direction separately, and again once the window moved on', async () => {
      const {process} = await alertTransform(move())
      const out = await process([at(0, 100), at(10, 106), at(20, 99), at(30, 100), at(80, 106), at(90, 112)])
      const alerts = alertsOf(out).map((a) => [a.triggered_by, Number((a.value as number).toFixed(4))])
      // 30: +1% from the low 99 re-arms the rise, the fall (−5.7% from 106) still holds. 80: +7.07% from 99 rises
      // again. 90: +12% from 100 is the same rise still holding → quiet.
      expect(alerts).to.deep.equal([
        [at(10, 0).timestamp, 6],
        [at(20, 0).timestamp, -6.6038],
        [at(80, 0).timestamp, 7.0707],
      ])
    })

    it('re-arms a rise once the low has left the window', async () => {
      const {process} = await alertTransform(move())
      const out = await process([at(0, 100), at(10, 106), at(75, 106), at(80, 112)])
      expect(alertsOf(out).map((a) => Number((a.value as number).toFixed(4)))).to.deep.equal([6, 5.6604])
    })

    it('skips records whose time goes backwards (counted) but passes them on', async () => {
      const {process, counts} = await alertTransform(move())
      const out = await process([at(10, 100), at(5, 200), at(20, 101)])
      expect(out).to.have.length(3)
      expect(counts.get('alert_time_backwards')).to.equal(1)
    })

    it('reads epoch-millisecond times from its own time field, and dead-letters records without a time', async () => {
      const {process, rejected} = await alertTransform(move({time: 'ts'}))
      const out = await process([
        {symbol: 'BTC', ts: T0, price_usd: 100},
        {symbol: 'BTC', price_usd: 100},
        {symbol: 'BTC', ts: T0 + 30 * MINUTE, price_usd: 94},
      ])
      expect(alertsOf(out).map((a) => [a.value, a.triggered_by])).to.deep.equal([[-6, null]])
      expect(rejected.map((r) => [r.code, r.reason])).to.deep.equal([
        ['ETL_RECORD_INVALID', 'rule "fast": ts is missing or not a time (ISO 8601 or epoch ms)'],
      ])
    })

    it('matches a brute-force window scan on real BTC history (10% within 3 days)', async function () {
      this.timeout(20_000)
      const stream = interleave([btcDaily(), btcEurDaily()])
      const config = {
        rules: [{name: 'swing', percentMove: {field: 'price_usd', percent: 10, within: '3d'}}],
        output: 'alerts-only',
      }
      const alerts = await (await alertTransform(config)).process(stream)
      const expected: EtlRecord[] = []
      for (const currency of ['usd', 'eur']) {
        const series = seriesOf(stream, 'BTC', currency)
        const armed = {rise: true, fall: true}
        const times = series.map((r) => Date.parse(r.timestamp as string))
        series.forEach((record, i) => {
          // Scan back from the record to the first one more than 3 days older: the window, recomputed each time.
          const values: number[] = []
          for (let j = i; j >= 0 && times[j] >= times[i] - 3 * 86_400_000; j--)
            values.push(series[j].price_usd as number)
          const x = record.price_usd as number
          const rise = ((x - Math.min(...values)) / Math.min(...values)) * 100
          const fall = ((x - Math.max(...values)) / Math.max(...values)) * 100
          if (rise >= 10 && armed.rise)
            expected.push({vs_currency: currency, triggered_by: record.timestamp, value: rise})
          if (-fall >= 10 && armed.fall)
            expected.push({vs_currency: currency, triggered_by: record.timestamp, value: fall})
          armed.rise = rise < 10
          armed.fall = -fall < 10
        })
      }
      expect(alerts.length).to.be.greaterThan(100)
      expect(alerts.length).to.equal(expected.length)
      const order = (a: EtlRecord) => `${a.vs_currency} ${a.triggered_by} ${(a.value as number) > 0 ? 'a' : 'b'}`
      const sorted = [...alerts].sort((a, b) => order(a).localeCompare(order(b)))
      expected.sort((a, b) => order(a).localeCompare(order(b)))
      sorted.forEach((a, i) => {
        expect([a.vs_currency, a.triggered_by]).to.deep.equal([expected[i].vs_currency, expected[i].triggered_by])
        expectClose(a.value, expected[i].value as number, `alert ${i}`)
      })
    })
  })

  describe('output', () => {
    it('alerts-only passes on only alert records', async () => {
      const {process} = await alertTransform({...above100, output: 'alerts-only'})
      const out = await process([at(0, 90), at(1, 101), at(2, 99), at(3, 120)])
      expect(out.map((record) => [record.record_type, record.value])).to.deep.equal([
        ['alert', 101],
        ['alert', 120],
      ])
    })

    it('passes alert records from an earlier alert transform through unchecked, in both modes', async () => {
      const upstream = {
        record_type: 'alert',
        alert: 'other',
        symbol: 'BTC',
        value: 1,
        message: 'm',
        time: 't',
        triggered_by: 't',
      }
      for (const output of ['with-input', 'alerts-only']) {
        const {process} = await alertTransform({rules: [{name: 'always', when: 'true'}], output})
        expect(await process([upstream])).to.deep.equal([upstream])
      }
    })

    it('gives the same output whatever the batch boundaries', async () => {
      const stream = interleave([btcDaily(), btcEurDaily()])
      const config = {
        rules: [
          {name: 'swing', percentMove: {field: 'price_usd', percent: 8, within: '2d'}},
          {name: 'high', field: 'price_usd', above: 20000},
          {name: 'quiet', when: 'volume < 100'},
        ],
      }
      const whole = await (await alertTransform(config)).process(stream)
      expect(alertsOf(whole).length).to.be.greaterThan(100)
      const {instance} = await alertTransform(config)
      expect(await runBatches(instance, stream, 17)).to.deep.equal(whole)
    })
  })

  describe('config checks', () => {
    const issuesFor = (rules: unknown[]) => issuesOf(alert, configFor(alert, {rules}))
    const pm = {field: 'price_usd', percent: 5, within: '1h'}
    const cases: [string, unknown[], (string | number)[][], string][] = [
      ['no condition', [{name: 'a'}], [['rules', 0]], 'has no condition'],
      [
        'two conditions',
        [{name: 'a', when: 'true', field: 'p', above: 1}],
        [['rules', 0]],
        'sets when and above/below',
      ],
      [
        'three conditions',
        [{name: 'a', when: 'true', below: 1, field: 'p', percentMove: pm}],
        [
          ['rules', 0],
          ['rules', 0, 'field'],
        ],
        'exactly one',
      ],
      ['above and below', [{name: 'a', field: 'p', above: 2, below: 1}], [['rules', 0, 'below']], 'not both'],
      ['threshold without field', [{name: 'a', above: 1}], [['rules', 0, 'field']], 'set field'],
      [
        'percentMove with field',
        [{name: 'a', field: 'p', percentMove: pm}],
        [['rules', 0, 'field']],
        'inside percentMove',
      ],
      ['bad expression', [{name: 'a', when: 'price_usd >'}], [['rules', 0, 'when']], 'price_usd >'],
      [
        'zero window',
        [{name: 'a', percentMove: {...pm, within: 0}}],
        [['rules', 0, 'percentMove', 'within']],
        'longer than 0',
      ],
      [
        'duplicate names',
        [
          {name: 'a', when: 'true'},
          {name: 'a', when: 'false'},
        ],
        [['rules', 1, 'name']],
        'duplicate',
      ],
    ]
    for (const [what, rules, paths, message] of cases) {
      it(`reports ${what} with its path`, async () => {
        const issues = await issuesFor(rules)
        expect(issues.map((issue) => issue.path)).to.deep.equal(paths)
        expect(issues[0].message).to.include(message)
      })
    }

    it('accepts one condition per rule and rejects what the schema covers', async () => {
      expect(
        await issuesFor([
          {name: 'a', when: 'true'},
          {name: 'b', field: 'p', below: 1},
          {name: 'c', percentMove: pm},
        ]),
      ).to.deep.equal([])
      expect(() => configFor(alert, {rules: []})).to.throw(/rules/)
      expect(() => configFor(alert, {rules: [{name: 'a', percentMove: {...pm, percent: 0}}]})).to.throw(/percent/)
      expect(() => configFor(alert, {rules: [{name: 'a', when: 'true'}], output: 'alerts'})).to.throw(/output/)
      expect(() => configFor(alert, {rules: [{name: 'a', when: 'true', extra: 1}]})).to.throw(/additional/)
    })

    it('fails at create with ETL_CONFIG_INVALID for a bad expression that skipped validation', async () => {
      try {
        await alertTransform({rules: [{name: 'a', when: 'price_usd >'}]})
        expect.fail('expected an error')
      } catch (error) {
        expect(error).to.have.property('code', 'ETL_CONFIG_INVALID')
        expect((error as Error).message).to.include('alert: rules[0].when:')
      }
    })
  })
})
