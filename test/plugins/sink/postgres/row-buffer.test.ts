import {expect} from 'chai'
import {RowBuffer} from '../../../../src/plugins/sink/postgres/row-buffer.js'
import {EtlError} from '../../../../src/runtime/errors.js'
import {origin} from '../../../../src/testing/index.js'

function row(n: number) {
  return {values: [String(n)], record: {n}}
}

function buffer(): RowBuffer {
  const rows = new RowBuffer()
  rows.add([row(1)], [{record: {n: 'bad'}, reason: 'no'}], origin(0, 10))
  rows.add([row(2)], [], origin(0, 20))
  rows.add([row(3)], [], origin(1, 7))
  rows.add([row(4)], [])
  return rows
}

describe('postgres sink row buffer', () => {
  it('writes everything when the positions are where this sink left them', () => {
    const plan = buffer().plan(new Map([[0, 5n]]), new Map([[0, 5n]]), 'public.t')
    expect(plan.rows.map((r) => r.record.n)).to.deep.equal([1, 2, 3, 4])
    expect(plan.rejects).to.have.length(1)
    expect(plan.advance).to.deep.equal(
      new Map([
        [0, 20n],
        [1, 7n],
      ]),
    )
    expect(plan.dropped).to.equal(0)
  })

  it('drops the groups another writer already wrote, with their rejections', () => {
    const plan = buffer().plan(new Map([[0, 10n]]), new Map(), 'public.t')
    expect(plan.rows.map((r) => r.record.n)).to.deep.equal([2, 3, 4])
    expect(plan.rejects).to.have.length(0)
    expect(plan.dropped).to.equal(1)
    const all = buffer().plan(
      new Map([
        [0, 25n],
        [1, 7n],
      ]),
      new Map(),
      'public.t',
    )
    expect(all.rows.map((r) => r.record.n)).to.deep.equal([4])
    expect(all.advance.size).to.equal(0)
  })

  it('refuses a position inside a group rather than duplicate or lose rows', () => {
    expect(() => buffer().plan(new Map([[0, 15n]]), new Map(), 'public.t'))
      .to.throw(EtlError, /partition 0: another writer recorded offset 15/)
      .with.property('code', 'ETL_SINK_CONFLICT')
    expect(() => buffer().plan(new Map([[0, 5n]]), new Map([[0, 2n]]), 'public.t')).to.throw(/offset 5/)
  })

  it('lists the partitions it holds and forgets everything when cleared', () => {
    const rows = buffer()
    expect(rows.partitions()).to.deep.equal([0, 1])
    rows.clear()
    expect(rows.isEmpty()).to.equal(true)
  })
})
