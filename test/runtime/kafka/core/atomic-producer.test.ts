/** sendAtomically over any client's transactions: one transaction, aborted on failure, unknown outcome on commit. */
import {expect} from 'chai'
import {AtomicProducer, type OpenTransaction} from '../../../../src/runtime/kafka/core/atomic-producer.js'
import type {AlongBatches, ProducedOffsets, TopicBatch} from '../../../../src/runtime/kafka/message-bus.js'
import {commitOutcomeUnknown} from '../../../../src/runtime/kafka/message-bus.js'

/** A client whose transactions write `records` at offsets counted per topic (partition 0 only), and log every step. */
function fakeClient(fail: {on?: 'begin' | 'send' | 'commit'} = {}) {
  const steps: string[] = []
  const ends = new Map<string, bigint>()
  let transactions = 0
  const transaction = (): OpenTransaction => ({
    async send(sent: TopicBatch[], along?: AlongBatches) {
      const counts = new Map(sent.map((b) => [b.topic, new Map([[0, b.messages.length]])]))
      const batches = along ? [...sent, ...along(counts)] : sent
      steps.push(`send ${batches.map((b) => `${b.topic}×${b.messages.length}`).join(',')}`)
      if (fail.on === 'send') throw new Error('broker said no')
      const out = new Map<string, ProducedOffsets>()
      for (const {topic, messages} of batches) {
        const end = (ends.get(topic) ?? 0n) + BigInt(messages.length)
        ends.set(topic, end)
        out.set(topic, new Map([[0, end]]))
      }
      return out
    },
    async abort() {
      steps.push('abort')
    },
    async commit() {
      steps.push('commit')
      if (fail.on === 'commit') throw new Error('connection lost')
    },
  })
  const producer = new AtomicProducer({
    async begin() {
      transactions++
      steps.push('begin')
      if (fail.on === 'begin') throw new Error('coordinator gone')
      return transaction()
    },
    fail: (what, error) => new Error(`${what} failed: ${(error as Error).message}`),
    disconnect: async () => undefined,
  })
  return {producer, steps, transactions: () => transactions}
}

const batch = (topic: string, n: number): TopicBatch => ({
  topic,
  messages: Array.from({length: n}, (_, i) => ({key: `k${i}`, value: 'v'})),
})

describe('AtomicProducer', () => {
  it('sends the batches, then what `then` makes of their offsets, and commits once', async () => {
    const {producer, steps} = fakeClient()
    let seen: Map<string, ProducedOffsets> | undefined
    const offsets = await producer.sendAtomically([batch('records', 3)], (written) => {
      seen = new Map(written)
      return [batch('state', 1)]
    })
    expect(steps).to.deep.equal(['begin', 'send records×3', 'send state×1', 'commit'])
    expect(seen).to.deep.equal(new Map([['records', new Map([[0, 3n]])]]))
    expect(offsets).to.deep.equal(
      new Map([
        ['records', new Map([[0, 3n]])],
        ['state', new Map([[0, 1n]])],
      ]),
    )
  })

  it('sends what `along` makes of the partition counts in the same request; an empty `then` adds none', async () => {
    const {producer, steps} = fakeClient()
    let counted: Map<string, Map<number, number>> | undefined
    const offsets = await producer.sendAtomically(
      [batch('records', 3)],
      () => [],
      (counts) => {
        counted = counts
        return [batch('state', 1)]
      },
    )
    expect(counted).to.deep.equal(new Map([['records', new Map([[0, 3]])]]))
    expect(steps).to.deep.equal(['begin', 'send records×3,state×1', 'commit'])
    expect(offsets.get('state')).to.deep.equal(new Map([[0, 1n]]))
  })

  it('aborts when a send fails, and rejects with the client’s error', async () => {
    const {producer, steps} = fakeClient({on: 'send'})
    const error = (await producer.sendAtomically([batch('records', 2)]).catch((e: unknown) => e)) as Error
    expect(steps).to.deep.equal(['begin', 'send records×2', 'abort'])
    expect(error.message).to.equal('producing in a transaction to records failed: broker said no')
    expect(commitOutcomeUnknown(error)).to.equal(undefined)
  })

  it('a failed commit carries the offsets it sent: the caller finds out whether it committed', async () => {
    const {producer} = fakeClient({on: 'commit'})
    const error = await producer.sendAtomically([batch('records', 2)]).catch((e: unknown) => e)
    expect((error as Error).message).to.equal('committing a transaction failed: connection lost')
    expect(commitOutcomeUnknown(error)).to.deep.equal(new Map([['records', new Map([[0, 2n]])]]))
  })

  it('a failed begin is the client’s error too', async () => {
    const {producer, steps} = fakeClient({on: 'begin'})
    const error = (await producer.sendAtomically([batch('records', 1)]).catch((e: unknown) => e)) as Error
    expect(error.message).to.equal('beginning a transaction failed: coordinator gone')
    expect(steps).to.deep.equal(['begin'])
  })

  it('after any failure it is done: later calls reject with the first failure and begin nothing', async () => {
    const {producer, transactions} = fakeClient({on: 'send'})
    const first = await producer.sendAtomically([batch('records', 1)]).catch((e: unknown) => e)
    const second = await producer.sendAtomically([batch('records', 1)]).catch((e: unknown) => e)
    expect(second).to.equal(first)
    expect(transactions()).to.equal(1)
  })
})
