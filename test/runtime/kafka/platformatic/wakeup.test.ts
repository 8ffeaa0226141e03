/** The platformatic consumer's wake-up call: one that comes before the wait is not lost. */
import {expect} from 'chai'
import {Wakeup} from '../../../../src/runtime/kafka/platformatic/wakeup.js'

describe('Wakeup', () => {
  it('a wake() before wait() makes the next wait return at once, and only that one', async () => {
    const wakeup = new Wakeup()
    wakeup.wake()
    const started = Date.now()
    await wakeup.wait(5000)
    expect(Date.now() - started).to.be.below(1000)
    const second = Date.now()
    await wakeup.wait(50)
    expect(Date.now() - second).to.be.at.least(40)
  })

  it('a wake() during wait() ends it early', async () => {
    const wakeup = new Wakeup()
    setTimeout(() => wakeup.wake(), 10)
    const started = Date.now()
    await wakeup.wait(5000)
    expect(Date.now() - started).to.be.below(1000)
  })
})
