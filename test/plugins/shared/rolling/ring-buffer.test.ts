import {expect} from 'chai'
import {RingBuffer} from '../../../../src/plugins/shared/rolling/ring-buffer.js'
import {random} from './price-history.js'

describe('RingBuffer', () => {
  it('keeps the last `capacity` values oldest first and returns what it evicts', () => {
    const buffer = new RingBuffer(3)
    expect([buffer.push(1), buffer.push(2)]).to.deep.equal([undefined, undefined])
    expect([buffer.size, buffer.full]).to.deep.equal([2, false])
    expect(buffer.push(3)).to.equal(undefined)
    expect(buffer.full).to.equal(true)
    expect([buffer.push(4), buffer.push(5)]).to.deep.equal([1, 2])
    expect(buffer.toArray()).to.deep.equal([3, 4, 5])
    expect([buffer.at(0), buffer.at(2), buffer.at(-1), buffer.at(-3), buffer.at(3), buffer.at(-4)]).to.deep.equal([
      3,
      5,
      5,
      3,
      undefined,
      undefined,
    ])
  })

  it('matches a plain array window across many wrap-arounds', () => {
    const next = random(1)
    for (const capacity of [1, 2, 7]) {
      const buffer = new RingBuffer(capacity)
      const all: number[] = []
      for (let i = 0; i < 100; i++) {
        const value = next()
        const evicted = buffer.push(value)
        all.push(value)
        expect(evicted).to.equal(all.length > capacity ? all[all.length - capacity - 1] : undefined)
        const expected = all.slice(-capacity)
        expect(buffer.toArray()).to.deep.equal(expected)
        expect(buffer.at(0)).to.equal(expected[0])
      }
    }
  })

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new RingBuffer(capacity)).to.throw(RangeError)
  })
})
