import {expect} from 'chai'
import {readdirSync} from 'node:fs'
import window from '../../../src/plugins/transform/window.js'
import type {EtlRecord} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext, issuesOf} from '../../support/plugin-context.js'
import {harness, iso, MINUTE} from '../shared/windowing/window-test-kit.js'

const AGGREGATES = {
  open: {op: 'first', field: 'price_usd'},
  close: {op: 'last', field: 'price_usd'},
  low: {op: 'min', field: 'price_usd'},
  high: {op: 'max', field: 'price_usd'},
  volume: {op: 'sum', field: 'volume'},
  mean: {op: 'avg', field: 'price_usd'},
  ticks: {op: 'count'},
}
const base = Date.parse('2024-05-01T10:00:00Z')
const tick = (offset: number, price: unknown, extra: EtlRecord = {}): EtlRecord => ({
  symbol: 'BTC',
  vs_currency: 'usd',
  timestamp: iso(base + offset),
  price_usd: price,
  volume: 1,
  ...extra,
})
const issues = async (config: Record<string, unknown>) =>
  (await issuesOf(window, configFor(window, config))).map((i) => `${i.path.join('.')}: ${i.message}`)

describe('window transform', () => {
  describe('config', () => {
    it('fills the documented defaults', () => {
      expect(configFor(window, {size: '1m', aggregates: {n: {op: 'count'}}})).to.deep.equal({
        size: '1m',
        aggregates: {n: {op: 'count'}},
        time: 'timestamp',
        key: ['symbol', 'vs_currency'],
        window: 'tumbling',
        lateness: '0s',
        emit: 'final',
        late: 'dead-letter',
        passThrough: false,
      })
      expect(() => configFor(window, {size: '1m'})).to.throw(/must have required property 'aggregates'/)
      expect(() => configFor(window, {size: '1m', aggregates: {n: {op: 'median', field: 'x'}}})).to.throw(
        /must be equal to one of the allowed values/,
      )
    })

    it('reports what the schema cannot: slide rules, fields of ops, clashing output names', async () => {
      expect(await issues({size: '1m', aggregates: {n: {op: 'count'}}})).to.deep.equal([])
      expect(await issues({window: 'sliding', size: '1m', aggregates: {n: {op: 'count'}}})).to.have.length(1)
      expect((await issues({window: 'sliding', size: '1m', slide: '2m', aggregates: {n: {op: 'count'}}}))[0]).to.match(
        /^slide: slide \(120000 ms\) must not exceed size/,
      )
      expect((await issues({size: '1m', slide: '30s', aggregates: {n: {op: 'count'}}}))[0]).to.match(
        /^slide: tumbling windows have slide = size/,
      )
      expect(
        await issues({
          size: '1m',
          aggregates: {
            total: {op: 'sum'},
            n: {op: 'count', field: 'x'},
            symbol: {op: 'max', field: 'x'},
            window_end: {op: 'count'},
          },
        }),
      ).to.deep.equal([
        'aggregates.total: sum needs field: the input field to aggregate',
        'aggregates.n.field: count counts records and takes no field',
        'aggregates.symbol: output field "symbol" is already a key field or window bound; pick another name',
        'aggregates.window_end: output field "window_end" is already a key field or window bound; pick another name',
      ])
    })

    it('refuses to create an instance from a config validateConfig would reject', () => {
      expect(() =>
        window.create(
          configFor(window, {size: '1m', slide: '2m', aggregates: {n: {op: 'count'}}}),
          testContext().context,
        ),
      ).to.throw(/ETL_CONFIG_INVALID|must not exceed size/)
    })
  })

  it('computes every aggregate per key and tumbling window, with the documented output fields in order', async () => {
    const {process} = await harness(window, {size: '1m', aggregates: AGGREGATES})
    const out = await process([
      tick(0, 10, {volume: 2}),
      tick(1000, 12),
      {...tick(2000, 100), symbol: 'ETH'},
      tick(30_000, '9.5'),
      tick(59_999, 11, {volume: 0.5}),
      tick(MINUTE, 13),
      {...tick(MINUTE, 101), symbol: 'ETH'},
    ])
    expect(out).to.deep.equal([
      {
        symbol: 'BTC',
        vs_currency: 'usd',
        window_start: iso(base),
        window_end: iso(base + MINUTE),
        open: 10,
        close: 11,
        low: 9.5,
        high: 12,
        volume: 4.5,
        mean: 10.625,
        ticks: 4,
      },
      {
        symbol: 'ETH',
        vs_currency: 'usd',
        window_start: iso(base),
        window_end: iso(base + MINUTE),
        open: 100,
        close: 100,
        low: 100,
        high: 100,
        volume: 1,
        mean: 100,
        ticks: 1,
      },
    ])
    expect(Object.keys(out[0])).to.deep.equal([
      'symbol',
      'vs_currency',
      'window_start',
      'window_end',
      'open',
      'close',
      'low',
      'high',
      'volume',
      'mean',
      'ticks',
    ])
  })

  it('takes first and last by event time, so records out of order inside a window change nothing', async () => {
    const {process, rejected} = await harness(window, {size: '1m', aggregates: AGGREGATES, time: 'at', key: ['symbol']})
    const shuffled = [
      [30, 3],
      [0, 1],
      [59, 6],
      [10, 2],
      [45, 5],
      [40, 4],
      [59, 7],
      [0, 0.5],
    ].map(([s, price]) => ({symbol: 'BTC', at: base + s * 1000, price_usd: price, volume: 1}))
    const out = await process([...shuffled, {symbol: 'BTC', at: base + MINUTE, price_usd: 1, volume: 1}])
    expect(rejected).to.deep.equal([])
    // equal times keep arrival order: at 0 s, 1 came first; at 59 s, 7 came last
    expect(out.map((r) => [r.open, r.close, r.low, r.high, r.ticks])).to.deep.equal([[1, 7, 0.5, 7, 8]])
  })

  it('groups records missing a key field under an empty value and writes the field as null', async () => {
    const {process} = await harness(window, {size: '1m', aggregates: {n: {op: 'count'}}})
    const out = await process([
      {timestamp: base, symbol: 'BTC'},
      {timestamp: base + 5, symbol: 'BTC', vs_currency: ''},
      {timestamp: base + MINUTE, symbol: 'BTC'},
    ])
    expect(out).to.deep.equal([
      {symbol: 'BTC', vs_currency: null, window_start: iso(base), window_end: iso(base + MINUTE), n: 2},
    ])
  })

  for (const lateness of [0, 15_000]) {
    it(`is late iff window end ≤ watermark (lateness ${lateness} ms): end = watermark + 1 ms joins`, async () => {
      const config = {
        size: '1m',
        lateness: `${lateness}ms`,
        aggregates: {n: {op: 'count'}, close: {op: 'last', field: 'price_usd'}},
      }
      // watermark = end of [base, base + 1m) exactly
      const closing = await harness(window, config)
      const out = await closing.process([tick(0, 1), tick(MINUTE + lateness, 2), tick(MINUTE - 1, 3)])
      expect(out.map((r) => [r.window_start, r.n, r.close])).to.deep.equal([[iso(base), 1, 1]])
      expect(closing.rejected.map((r) => [r.code, r.record.price_usd])).to.deep.equal([['ETL_RECORD_LATE', 3]])
      expect(closing.rejected[0].reason).to.include(
        `its latest window [${iso(base)}, ${iso(base + MINUTE)}) ` +
          `closed when the watermark reached ${iso(base + MINUTE)}`,
      )
      // watermark one millisecond short of the end: the window is still open
      const open = await harness(window, config)
      expect(await open.process([tick(0, 1), tick(MINUTE + lateness - 1, 2), tick(MINUTE - 1, 3)])).to.deep.equal([])
      expect(open.rejected).to.deep.equal([])
      // with lateness 0 the record that set the watermark (at 59.999 s) is in the window too
      expect((await open.process([tick(MINUTE + lateness, 4)])).map((r) => [r.n, r.close])).to.deep.equal([
        [lateness === 0 ? 3 : 2, 3],
      ])
    })
  }

  it('drops late records when asked, counting them as late_dropped instead of dead-lettering', async () => {
    const {process, rejected, counts} = await harness(window, {
      size: '1m',
      late: 'drop',
      aggregates: {n: {op: 'count'}},
    })
    expect((await process([tick(0, 1), tick(2 * MINUTE, 1), tick(10, 1), tick(20, 1)])).map((r) => r.n)).to.deep.equal([
      1,
    ])
    expect(rejected).to.deep.equal([])
    expect(counts.get('late_dropped')).to.equal(2)
  })

  it('dead-letters missing/NaN/infinite/non-numeric values, unreadable times; windows and watermark stay', async () => {
    const {process, rejected} = await harness(window, {size: '1m', aggregates: AGGREGATES})
    const out = await process([
      tick(0, 10),
      tick(1, Number.NaN),
      tick(2, Number.POSITIVE_INFINITY),
      tick(3, undefined),
      tick(4, 'abc'),
      tick(5, 'NaN'),
      tick(6, 10, {volume: -Infinity}),
      {...tick(0, 1), timestamp: 'soon'},
      {...tick(0, 1), timestamp: undefined},
      tick(10 * MINUTE, Number.NaN),
      tick(MINUTE, 20),
    ])
    expect(rejected.map((r) => r.code)).to.deep.equal([
      ...Array(6).fill('ETL_VALUE_NOT_FINITE'),
      'ETL_RECORD_INVALID',
      'ETL_RECORD_INVALID',
      'ETL_VALUE_NOT_FINITE',
    ])
    expect(rejected.map((r) => r.reason).slice(0, 3)).to.deep.equal([
      'field "price_usd" is NaN: not a finite number, so it joins no window',
      'field "price_usd" is Infinity: not a finite number, so it joins no window',
      'field "price_usd" is missing: not a finite number, so it joins no window',
    ])
    expect(rejected[7].reason).to.equal('field "timestamp" is missing, not an ISO 8601 time or epoch milliseconds')
    // the NaN record at +10 min did not close [base + 1m, base + 2m): only the first window is out
    expect(out.map((r) => [r.window_start, r.ticks, r.mean])).to.deep.equal([[iso(base), 1, 10]])
  })

  describe('restart and rebalance (checkpoint → restore)', () => {
    const config = {size: '1m', aggregates: AGGREGATES}
    const records = Array.from({length: 400}, (_, i) => tick(i * 997, 100 + Math.sin(i) * 5, {volume: 0.1 * (i % 9)}))
    /** What the runtime does with a checkpoint: JSON into Kafka, JSON out of Kafka. */
    const throughJson = (state: unknown) => JSON.parse(JSON.stringify(state)) as unknown

    it('flush emits no partial window; a new instance restored from the checkpoint continues it exactly', async () => {
      const uninterrupted = await harness(window, config)
      const expected = [
        ...(await uninterrupted.process(records.slice(0, 150))),
        ...(await uninterrupted.process(records.slice(150))),
      ]
      const first = await harness(window, config)
      const before = await first.process(records.slice(0, 150))
      const state = throughJson(await first.instance.checkpoint!())
      expect(await first.instance.flush!()).to.deep.equal([])
      expect(first.logs.join('\n')).to.include(
        '1 open window(s) not emitted at shutdown; their state as of the last committed batch is kept for the next run',
      )
      const second = await harness(window, config)
      await second.instance.restore!(state)
      expect(second.logs.join('\n')).to.include('restored 1 open window(s)')
      expect([...before, ...(await second.process(records.slice(150)))]).to.deep.equal(expected)
      expect(expected.length).to.be.greaterThan(4)
    })

    it('a checkpoint is the state as of that moment: a batch processed after it is not in it', async () => {
      const uninterrupted = await harness(window, config)
      const expected = [
        ...(await uninterrupted.process(records.slice(0, 150))),
        ...(await uninterrupted.process(records.slice(150))),
      ]
      const first = await harness(window, config)
      const before = await first.process(records.slice(0, 150))
      const state = throughJson(await first.instance.checkpoint!())
      // The next batch reached the transform, but a sink refused it: no checkpoint, so its offsets stay uncommitted.
      await first.process(records.slice(150, 160))
      // The next owner consumes that batch again; counting it twice would change the windows.
      const second = await harness(window, config)
      await second.instance.restore!(state)
      expect([...before, ...(await second.process(records.slice(150)))]).to.deep.equal(expected)
    })

    it('checkpoints between every batch change nothing, and each one restores to the same output', async () => {
      const uninterrupted = await harness(window, config)
      const expected = await uninterrupted.process(records)
      const {process, instance} = await harness(window, config)
      const out: EtlRecord[] = []
      for (let at = 0; at < records.length; at += 37) {
        out.push(...(await process(records.slice(at, at + 37))))
        const resumed = await harness(window, config)
        await resumed.instance.restore!(throughJson(await instance.checkpoint!()))
        expect([...out, ...(await resumed.process(records.slice(at + 37)))]).to.deep.equal(expected)
      }
      expect(out).to.deep.equal(expected)
    })

    it('starts empty, with a warning, from a damaged snapshot or one of another window definition', async () => {
      const damaged = await harness(window, config)
      await damaged.instance.restore!({version: 1, keys: 'not a list'})
      expect(damaged.logs.join('\n')).to.match(/ignoring saved window state: .*; starting with no open windows/)
      expect(damaged.counts.get('snapshot_discarded')).to.equal(1)
      await damaged.process(records.slice(0, 10))
      const resized = await harness(window, {...config, size: '2m'})
      await resized.instance.restore!(throughJson(await damaged.instance.checkpoint!()))
      expect(resized.logs.join('\n')).to.include('it was taken with another window definition')
      expect(resized.counts.get('snapshot_discarded')).to.equal(1)
      expect(await resized.process([tick(5 * MINUTE, 1)])).to.deep.equal([])
    })

    it('writes no files of its own: the runtime stores its checkpoints', async () => {
      const {process, instance, stateDir} = await harness(window, config)
      await process(records)
      await instance.checkpoint!()
      await instance.flush!()
      await instance.close?.()
      expect(readdirSync(stateDir)).to.deep.equal([])
    })
  })
})
