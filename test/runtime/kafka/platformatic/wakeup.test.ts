/** The platformatic consumer's wake-up call: one that comes before the wait is not lost. */
import {expect} from 'chai'
import {Wakeup} from '../../../../src/runtime/kafka/platformatic/wakeup.js'

/** Which settles first: the wait, or a turn of the event loop (no timer of the wait can fire in between). */
const first = (wait: Promise<void>) =>
  Promise.race([wait.then(() => 'wait'), new Promise((resolve) => setImmediate(() => resolve('event loop turn')))])

describe('Wakeup', () => {
  it('a wake() before wait() makes the next wait return at once, and only that one', async () => {
    const wakeup = new Wakeup()
    wakeup.wake()
    expect(await first(wakeup.wait(60_000))).to.equal('wait')
    const second = wakeup.wait(60_000)
    expect(await first(second)).to.equal('event loop turn')
    wakeup.wake()
    await second
  })

  it('a wake() during wait() ends it early (a 60 s wait would outlast the test timeout)', async () => {
    const wakeup = new Wakeup()
    const waiting = wakeup.wait(60_000)
    setImmediate(() => wakeup.wake())
    await waiting
  })

  it('without a wake(), the wait ends at its timeout', async () => {
    const wakeup = new Wakeup()
    await wakeup.wait(5)
    expect(await first(wakeup.wait(60_000))).to.equal('event loop turn')
    wakeup.wake()
  })
})
