/** The adapters' classes reach callers as plain objects, so wrapping one by spreading it keeps every method. */
import {expect} from 'chai'
import {plainConsumer} from '../../../../src/runtime/kafka/core/plain-object.js'
import type {BusConsumer, ConsumeOptions} from '../../../../src/runtime/kafka/message-bus.js'

class CountingConsumer implements BusConsumer {
  runs = 0
  stopped = false

  async run(_options: ConsumeOptions): Promise<void> {
    this.runs++
  }

  async stop(): Promise<void> {
    this.stopped = true
  }
}

describe('plain objects of the adapters', () => {
  it('a spread copy with one method replaced still reaches the instance through the others', async () => {
    const instance = new CountingConsumer()
    const consumer = plainConsumer(instance)
    const wrapped: BusConsumer = {...consumer, run: (options) => consumer.run(options)}
    await wrapped.run({topic: 't', groupId: 'g', fromBeginning: true, onBatch: async () => undefined})
    await wrapped.stop()
    expect(instance.runs).to.equal(1)
    expect(instance.stopped).to.equal(true)
  })

  it('exposes the interface’s methods only, not the instance’s state', () => {
    expect(Object.keys(plainConsumer(new CountingConsumer())).sort()).to.deep.equal(['run', 'stop'])
  })
})
