import {expect} from 'chai'
import type {EtlRecord} from '../../../../src/runtime/plugin-types.js'
import {bySymbol, DAY, engine, feed, iso, messyStream, MINUTE, random} from './window-test-kit.js'

describe('WindowEngine', () => {
  it('sliding windows (3d every 1d) match a brute-force computation over every window start', () => {
    const spec = {size: 3 * DAY, slide: DAY, lateness: 0}
    const rnd = random(7)
    const base = Date.parse('2024-01-01T00:00:00Z')
    const records = Array.from({length: 600}, (_, i) => ({
      symbol: ['BTC', 'ETH'][Math.floor(rnd() * 2)],
      timestamp: iso(base + i * 4_000_000 + Math.floor(rnd() * 1000)),
      price: Math.round(rnd() * 1e5) / 100,
    }))
    const got = engine({spec}).process(records)
    const oneByOne = engine({spec})
    const perKey = bySymbol(records.flatMap((record) => oneByOne.process([record])))
    expect(perKey).to.deep.equal(bySymbol(got))

    const expected: EtlRecord[] = []
    for (const symbol of ['BTC', 'ETH']) {
      const mine = records.filter((r) => r.symbol === symbol).map((r) => ({t: Date.parse(r.timestamp), price: r.price}))
      const maxT = Math.max(...mine.map((r) => r.t))
      for (let start = Math.floor(base / DAY) * DAY - 3 * DAY; start + 3 * DAY <= maxT; start += DAY) {
        const inside = mine.filter((r) => r.t >= start && r.t < start + 3 * DAY)
        if (inside.length === 0) continue
        const prices = inside.map((r) => r.price)
        const sum = prices.reduce((a, b) => a + b, 0)
        expected.push({
          symbol,
          window_start: iso(start),
          window_end: iso(start + 3 * DAY),
          first: prices[0],
          last: prices.at(-1),
          min: Math.min(...prices),
          max: Math.max(...prices),
          sum,
          avg: sum / prices.length,
          n: prices.length,
        })
      }
    }
    expected.sort(
      (a, b) =>
        Date.parse(a.window_end as string) - Date.parse(b.window_end as string) ||
        (a.symbol as string).localeCompare(b.symbol as string),
    )
    expect(expected.length).to.be.greaterThan(40)
    expect(got.map(({sum: _sum, avg: _avg, ...rest}) => rest)).to.deep.equal(
      expected.map(({sum: _sum, avg: _avg, ...rest}) => rest),
    )
    for (const [i, want] of expected.entries()) {
      expect(got[i].sum).to.be.closeTo(want.sum as number, 1e-9)
      expect(got[i].avg).to.be.closeTo(want.avg as number, 1e-9)
    }
  })

  it("keeps the watermark per key: a key far ahead closes none of another key's windows", () => {
    const {process} = engine()
    expect(
      process([
        {symbol: 'ETH', timestamp: 10, price: 1},
        {symbol: 'BTC', timestamp: 10, price: 2},
      ]),
    ).to.deep.equal([])
    expect(process([{symbol: 'BTC', timestamp: 10 * MINUTE, price: 3}]).map((r) => r.symbol)).to.deep.equal(['BTC'])
    // ETH's window [0, 1m) is still open: a record at 59.999 s joins it
    expect(
      process([
        {symbol: 'ETH', timestamp: MINUTE - 1, price: 5},
        {symbol: 'ETH', timestamp: MINUTE, price: 6},
      ]),
    ).to.deep.equal([
      {
        symbol: 'ETH',
        window_start: iso(0),
        window_end: iso(MINUTE),
        first: 1,
        last: 5,
        min: 1,
        max: 5,
        sum: 6,
        avg: 3,
        n: 2,
      },
    ])
  })

  it("orders a batch's output by window end, then key, whatever the arrival order", () => {
    const {process} = engine()
    const out = process([
      {symbol: 'SOL', timestamp: 5, price: 1},
      {symbol: 'ETH', timestamp: 5, price: 1},
      {symbol: 'BTC', timestamp: 5, price: 1},
      {symbol: 'BTC', timestamp: MINUTE + 5, price: 1},
      {symbol: 'SOL', timestamp: 3 * MINUTE, price: 1},
      {symbol: 'BTC', timestamp: 3 * MINUTE, price: 1},
      {symbol: 'ETH', timestamp: 3 * MINUTE, price: 1},
    ])
    expect(out.map((r) => `${r.window_start} ${r.symbol}`)).to.deep.equal([
      `${iso(0)} BTC`,
      `${iso(0)} ETH`,
      `${iso(0)} SOL`,
      `${iso(MINUTE)} BTC`,
    ])
  })

  for (const lateness of [0, 30_000]) {
    // Per key the output sequence is identical; across keys, a window goes out with the batch in which its own key's
    // watermark passed its end, so only the interleaving of keys may follow the batch boundaries.
    it(`windows per key (in order) and rejections do not depend on batching (lateness ${lateness} ms)`, () => {
      const records = messyStream(42 + lateness, 3000)
      const spec = {size: 2 * MINUTE, slide: MINUTE, lateness}
      const run = (sizes: number[]) => {
        const {process, rejected, counts} = engine({spec})
        const out = feed(process, records, sizes) as Promise<EtlRecord[]>
        return out.then((output) => ({
          output: bySymbol(output),
          rejected: rejected.map((r) => [r.record.seq, r.code, r.reason]),
          counts: [...counts],
        }))
      }
      return Promise.all([run([records.length]), run([1]), run([7]), run([100]), run([3, 500, 1, 1, 64, 999])]).then(
        ([whole, ...split]) => {
          const codes = new Set(whole.rejected.map(([, code]) => code))
          expect([...codes].sort()).to.deep.equal(['ETL_RECORD_INVALID', 'ETL_RECORD_LATE', 'ETL_VALUE_NOT_FINITE'])
          expect(Object.keys(whole.output).sort()).to.deep.equal(['BTC', 'ETH', 'SOL'])
          expect(Object.values(whole.output).flat().length).to.be.greaterThan(100)
          for (const other of split) expect(other).to.deep.equal(whole)
        },
      )
    })
  }

  it('update mode: each changed window once per batch, its last update equal to the final value', () => {
    const records = messyStream(9, 2000)
    const spec = {size: 2 * MINUTE, slide: MINUTE, lateness: 10_000}
    const final = engine({spec})
    const finals = final.process(records)
    const update = engine({spec, emit: 'update'})
    const latest = new Map<string, EtlRecord>()
    const rnd = random(3)
    for (let at = 0; at < records.length;) {
      const size = 1 + Math.floor(rnd() * 50)
      const out = update.process(records.slice(at, at + size))
      const ids = out.map((r) => `${r.symbol} ${r.window_start}`)
      expect(new Set(ids).size, 'a window twice in one batch').to.equal(ids.length)
      for (const [i, id] of ids.entries()) latest.set(id, out[i])
      at += size
    }
    expect(finals.length).to.be.greaterThan(50)
    for (const window of finals) expect(latest.get(`${window.symbol} ${window.window_start}`)).to.deep.equal(window)
    expect(update.rejected).to.deep.equal(final.rejected)
  })

  it('update mode: a batch emits only the windows it changed; a closed one is dropped, its later records late', () => {
    const {process, rejected} = engine({emit: 'update', spec: {size: MINUTE, slide: MINUTE, lateness: 30_000}})
    const w = (start: number, first: number, last: number, n: number) => ({window_start: iso(start), first, last, n})
    const brief = (out: EtlRecord[]) =>
      out.map((r) => ({window_start: r.window_start, first: r.first, last: r.last, n: r.n}))
    expect(
      brief(
        process([
          {symbol: 'BTC', timestamp: 1000, price: 1},
          {symbol: 'BTC', timestamp: MINUTE + 1, price: 2},
          {symbol: 'BTC', timestamp: 2000, price: 3},
        ]),
      ),
    ).to.deep.equal([w(0, 1, 3, 2), w(MINUTE, 2, 2, 1)])
    expect(brief(process([{symbol: 'BTC', timestamp: MINUTE + 2, price: 4}]))).to.deep.equal([w(MINUTE, 2, 4, 2)])
    expect(process([])).to.deep.equal([])
    expect(brief(process([{symbol: 'BTC', timestamp: 5 * MINUTE, price: 5}]))).to.deep.equal([w(5 * MINUTE, 5, 5, 1)])
    expect(process([{symbol: 'BTC', timestamp: 3000, price: 6}])).to.deep.equal([])
    expect(rejected.map((r) => r.code)).to.deep.equal(['ETL_RECORD_LATE'])
  })

  it("final mode: every window exactly once, when its key's watermark passes its end", () => {
    const {process} = engine({spec: {size: MINUTE, slide: MINUTE, lateness: 0}})
    const records = messyStream(5, 1500)
    const out = records.flatMap((record) => process([record]))
    const ids = out.map((r) => `${r.symbol} ${r.window_start}`)
    expect(new Set(ids).size).to.equal(ids.length)
    expect(out.length).to.be.greaterThan(100)
  })
})
