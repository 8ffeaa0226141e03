/** retryTransient: transient failures are tried again, up to a number of attempts; anything else fails at once. */
import {expect} from 'chai'
import {retryTransient} from '../../../../src/runtime/kafka/core/retry-transient.js'

const transient = (error: unknown) => (error as Error).message === 'not yet'

describe('retryTransient', () => {
  it('tries again after transient failures until the call succeeds', async () => {
    let calls = 0
    const result = await retryTransient(
      async () => {
        if (++calls < 3) throw new Error('not yet')
        return 'done'
      },
      transient,
      5,
    )
    expect(result).to.equal('done')
    expect(calls).to.equal(3)
  })

  it('fails at once on an error that is not transient', async () => {
    let calls = 0
    const error = await retryTransient(
      async () => {
        calls++
        throw new Error('bad request')
      },
      transient,
      5,
    ).catch((e: unknown) => e as Error)
    expect(error.message).to.equal('bad request')
    expect(calls).to.equal(1)
  })

  it('gives up after `attempts` calls with the last error', async () => {
    let calls = 0
    const error = await retryTransient(
      async () => {
        calls++
        throw new Error('not yet')
      },
      transient,
      2,
    ).catch((e: unknown) => e as Error)
    expect(error.message).to.equal('not yet')
    expect(calls).to.equal(2)
  })
})
