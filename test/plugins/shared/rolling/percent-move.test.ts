import {expect} from 'chai'
import {EdgeTrigger} from '../../../../src/plugins/shared/rolling/edge-trigger.js'
import {PercentMoveWatch} from '../../../../src/plugins/shared/rolling/percent-move.js'

describe('EdgeTrigger', () => {
  it('fires on false → true transitions only, starting armed', () => {
    const edge = new EdgeTrigger()
    expect([true, true, false, false, true, false, true].map((condition) => edge.update(condition))).to.deep.equal([
      true,
      false,
      false,
      false,
      true,
      false,
      true,
    ])
  })
})

describe('PercentMoveWatch', () => {
  it('reports a rise from the window low and a fall from the window high, each once', () => {
    const watch = new PercentMoveWatch(100, 10)
    expect(watch.update(0, 100)).to.deep.equal({fired: [], nonPositiveReference: false})
    expect(watch.update(10, 110)).to.deep.equal({
      fired: [{percent: 10, from: {time: 0, value: 100}}],
      nonPositiveReference: false,
    })
    expect(watch.update(20, 111)).to.deep.equal({fired: [], nonPositiveReference: false})
    expect(watch.update(30, 99)).to.deep.equal({
      fired: [{percent: -10.81081081081081, from: {time: 20, value: 111}}],
      nonPositiveReference: false,
    })
  })

  it('gives no move against a reference ≤ 0 and refuses times that go backwards without keeping them', () => {
    const watch = new PercentMoveWatch(100, 10)
    watch.update(0, 0)
    expect(watch.update(1, 50)).to.deep.equal({fired: [], nonPositiveReference: true})
    expect(watch.update(0, 1000)).to.equal('time-backwards')
    // The refused 1000 is not in the window: 50 → 40 is a 20% fall from 50, not a 96% fall from 1000.
    expect(watch.update(2, 40)).to.deep.equal({
      fired: [{percent: -20, from: {time: 1, value: 50}}],
      nonPositiveReference: true,
    })
  })
})
