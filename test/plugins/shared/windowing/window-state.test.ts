import {expect} from 'chai'
import {SnapshotMismatch} from '../../../../src/plugins/shared/windowing/window-state.js'
import type {EtlRecord} from '../../../../src/runtime/plugin-types.js'
import {DAY, engine, messyStream, MINUTE, PRICE_AGGREGATES, random} from './window-test-kit.js'

describe('window snapshots', () => {
  const spec = {size: 2 * MINUTE, slide: MINUTE, lateness: 20_000}

  it('a restored engine continues exactly as one that never stopped, sums included', () => {
    const records = messyStream(11, 2000)
    // values whose compensated sum carries a non-zero compensation, which a snapshot of only the total would lose
    for (const [i, record] of records.entries())
      if (typeof record.price === 'number') record.price = i % 3 === 0 ? 1e16 : 0.1 * (i % 7) + 1e-3
    const whole = engine({spec})
    const uninterrupted = [...whole.process(records.slice(0, 1234)), ...whole.process(records.slice(1234))]

    const first = engine({spec})
    const before = first.process(records.slice(0, 1234))
    const snapshot = JSON.parse(JSON.stringify(first.engine.snapshot()))
    const compensations = snapshot.keys.flatMap((key: {windows: [number, unknown[]][]}) =>
      key.windows.map(([, acc]) => (acc[5] as number[])[1]),
    )
    expect(
      compensations.some((c: number) => c !== 0),
      'the snapshot holds a compensation',
    ).to.equal(true)
    const second = engine({spec})
    second.engine.restore(snapshot)
    expect(second.engine.openWindows).to.equal(first.engine.openWindows).and.to.be.greaterThan(0)
    const after = second.process(records.slice(1234))
    expect([...before, ...after]).to.deep.equal(uninterrupted)
    expect([...first.rejected, ...second.rejected]).to.deep.equal(whole.rejected)
  })

  it('writes windows in the JSON form saved snapshots have, and continues from one given in it', () => {
    // The form is stored with committed batches (<group>.state), so a new version must read what an older one wrote.
    const first = engine()
    first.process([
      {symbol: 'BTC', timestamp: 10, price: 2},
      {symbol: 'BTC', timestamp: 5, price: 3},
      {symbol: 'BTC', timestamp: 20, price: 1},
    ])
    const saved = {
      version: 1,
      shape: {time: 'timestamp', key: ['symbol'], size: MINUTE, slide: MINUTE, aggregates: PRICE_AGGREGATES},
      // [count, first as [time, value], last as [time, value], min, max, sum as [sum, compensation], avg as sum, count]
      keys: [
        {
          id: 'BTC',
          fields: {symbol: 'BTC'},
          maxTime: 20,
          windows: [[0, [3, [5, 3], [20, 1], 1, 3, [6, 0], [6, 0], null]]],
        },
      ],
    }
    expect(JSON.parse(JSON.stringify(first.engine.snapshot()))).to.deep.equal(saved)
    const second = engine()
    second.engine.restore(structuredClone(saved))
    expect(
      second.process([
        {symbol: 'BTC', timestamp: 30, price: 4},
        {symbol: 'BTC', timestamp: MINUTE, price: 9},
      ]),
    ).to.deep.equal([
      {
        symbol: 'BTC',
        window_start: '1970-01-01T00:00:00.000Z',
        window_end: '1970-01-01T00:01:00.000Z',
        first: 3,
        last: 4,
        min: 1,
        max: 4,
        sum: 10,
        avg: 2.5,
        n: 4,
      },
    ])
  })

  it('keeps the per-key watermark: a record late before the snapshot is late after it', () => {
    const first = engine()
    first.process([{symbol: 'BTC', timestamp: 5 * MINUTE + 1, price: 1}])
    const second = engine()
    second.engine.restore(first.engine.snapshot())
    expect(
      second.process([
        {symbol: 'BTC', timestamp: 4 * MINUTE, price: 2},
        {symbol: 'ETH', timestamp: 0, price: 3},
      ]),
    ).to.deep.equal([])
    expect(second.rejected.map((r) => r.code)).to.deep.equal(['ETL_RECORD_LATE'])
    expect(second.rejected[0].reason).to.equal(
      'event time 1970-01-01T00:04:00.000Z is late for key {"symbol":"BTC"}: its latest window ' +
        '[1970-01-01T00:04:00.000Z, 1970-01-01T00:05:00.000Z) closed ' +
        'when the watermark reached 1970-01-01T00:05:00.001Z ' +
        '(latest event time 1970-01-01T00:05:00.001Z − lateness 0ms)',
    )
  })

  it('emits at the next batch the windows that a shorter lateness has closed meanwhile', () => {
    const first = engine({spec: {size: MINUTE, slide: MINUTE, lateness: 30_000}})
    expect(
      first.process([
        {symbol: 'BTC', timestamp: 10, price: 1},
        {symbol: 'BTC', timestamp: MINUTE + 10_000, price: 2},
      ]),
    ).to.deep.equal([])
    const second = engine({spec: {size: MINUTE, slide: MINUTE, lateness: 0}})
    second.engine.restore(first.engine.snapshot())
    expect(second.process([]).map((r) => [r.window_start, r.n])).to.deep.equal([['1970-01-01T00:00:00.000Z', 1]])
  })

  it('refuses a snapshot of another window definition or a damaged one, and keeps its own state', () => {
    const first = engine()
    first.process([{symbol: 'BTC', timestamp: 10, price: 1}])
    const snapshot = first.engine.snapshot()
    const other = engine({spec: {size: 2 * MINUTE, slide: 2 * MINUTE, lateness: 0}})
    other.process([{symbol: 'ETH', timestamp: 10, price: 1}])
    expect(() => other.engine.restore(snapshot)).to.throw(SnapshotMismatch, /another window definition/)
    const damaged = structuredClone(snapshot)
    damaged.keys[0].windows[0][1][5] = 'x'
    expect(() => engine().engine.restore(damaged)).to.throw(SnapshotMismatch, /expected a pair of numbers/)
    expect(() => engine().engine.restore({version: 2})).to.throw(SnapshotMismatch, /not a version 1/)
    expect(other.engine.openWindows).to.equal(1)
    expect(other.engine.snapshot().keys.map((k) => k.id)).to.deep.equal(['ETH'])
  })
})

describe('window sums over long runs', function () {
  this.timeout(60_000)

  it('the sum and average of 1e6 values equal the exactly rounded sum (BigInt reference)', () => {
    const {process} = engine({
      spec: {size: 10_000 * DAY, slide: 10_000 * DAY, lateness: 0},
      aggregates: [
        {name: 'sum', op: 'sum', field: 'price'},
        {name: 'avg', op: 'avg', field: 'price'},
        {name: 'n', op: 'count'},
      ],
    })
    const rnd = random(2024)
    let exact = 0n
    let naive = 0
    let out: EtlRecord[] = []
    const N = 1_000_000
    for (let at = 0; at < N; at += 10_000) {
      const batch: EtlRecord[] = []
      for (let i = at; i < at + 10_000; i++) {
        const price = (1 + Math.floor(rnd() * 1e12)) / 1e8
        exact += BigInt(price * 2 ** 80) // price ≥ 1e-8 is a multiple of 2^-79, so this is an exact integer
        naive += price
        batch.push({symbol: 'BTC', timestamp: i, price})
      }
      out = out.concat(process(batch))
    }
    out = out.concat(process([{symbol: 'BTC', timestamp: 10_000 * DAY, price: 1}]))
    const reference = Number(exact) / 2 ** 80 // BigInt → Number rounds correctly; dividing by 2^80 is exact
    const ulp = 2 ** (Math.floor(Math.log2(reference)) - 52)
    expect(out).to.have.length(1)
    expect(out[0].n).to.equal(N)
    expect(Math.abs((out[0].sum as number) - reference), `sum ${out[0].sum} vs ${reference}`).to.be.at.most(ulp)
    expect(Math.abs((out[0].avg as number) - reference / N)).to.be.at.most(
      2 * 2 ** (Math.floor(Math.log2(reference / N)) - 52),
    )
    // the check above can fail: a plain running sum of the same values is off by far more than one ulp
    expect(Math.abs(naive - reference)).to.be.greaterThan(4 * ulp)
  })
})
