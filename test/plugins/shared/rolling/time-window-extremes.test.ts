import {expect} from 'chai'
import {TimeWindowExtremes} from '../../../../src/plugins/shared/rolling/time-window-extremes.js'
import {random} from './price-history.js'

describe('TimeWindowExtremes', () => {
  it('matches a brute-force min/max over [t − width, t] on random data with repeated times', () => {
    const next = random(4)
    const width = 50
    const extremes = new TimeWindowExtremes(width)
    const seen: {time: number; value: number}[] = []
    let time = 0
    for (let i = 0; i < 20_000; i++) {
      time += Math.floor(next() * 8) // 0 repeats a time, bigger gaps empty the window
      const value = Math.round(next() * 1000) / 10
      extremes.push(time, value)
      seen.push({time, value})
      const inWindow = seen.filter((entry) => entry.time >= time - width).map((entry) => entry.value)
      expect(extremes.min?.value, `min at ${i}`).to.equal(Math.min(...inWindow))
      expect(extremes.max?.value, `max at ${i}`).to.equal(Math.max(...inWindow))
      if (seen.length > 200) seen.splice(0, 100)
    }
    expect(extremes.held).to.be.lessThan(500)
  })

  it('includes a value exactly `width` old and drops it one unit later', () => {
    const extremes = new TimeWindowExtremes(1000)
    extremes.push(0, 100)
    extremes.push(1000, 105)
    expect([extremes.min, extremes.max]).to.deep.equal([
      {time: 0, value: 100},
      {time: 1000, value: 105},
    ])
    extremes.push(1001, 104)
    expect(extremes.min).to.deep.equal({time: 1001, value: 104})
  })

  it('reports its latest time and refuses times that go backwards', () => {
    const extremes = new TimeWindowExtremes(10)
    expect(extremes.latestTime).to.equal(-Infinity)
    expect(extremes.min).to.equal(undefined)
    extremes.push(5, 1)
    expect(extremes.latestTime).to.equal(5)
    expect(() => extremes.push(4, 1)).to.throw(RangeError, /backwards/)
  })
})
