/** chunksOf: how a segment of a batch is cut into chunks, and the offset each chunk moves a sink's position to. */
import {expect} from 'chai'
import type {ConsumedMessage} from '../../../src/runtime/kafka/message-bus.js'
import {chunksOf} from '../../../src/runtime/stages/batch-chunks.js'

const messages = (from: number, count: number): ConsumedMessage[] =>
  Array.from({length: count}, (_, i) => ({offset: String(from + i), key: null, value: null, headers: {}}))

const offsets = (chunk: {messages: ConsumedMessage[]}) => chunk.messages.map((m) => Number(m.offset))

describe('chunksOf', () => {
  it('cuts a segment into chunks of at most `size`; inner chunks end after their last message', () => {
    const chunks = [...chunksOf({messages: messages(10, 5), nextOffset: 20n}, 2)]
    expect(chunks.map(offsets)).to.deep.equal([[10, 11], [12, 13], [14]])
    expect(chunks.map((c) => c.nextOffset)).to.deep.equal([12n, 14n, 20n])
  })

  it("gives the last chunk the segment's own next offset (a batch may end in offsets no record holds)", () => {
    const chunks = [...chunksOf({messages: messages(0, 4), nextOffset: 9n}, 2)]
    expect(chunks.map((c) => c.nextOffset)).to.deep.equal([2n, 9n])
  })

  it('yields one empty chunk for an empty segment, so a sink with positions still hears of it', () => {
    const chunks = [...chunksOf({messages: [], nextOffset: 5n}, 2)]
    expect(chunks).to.deep.equal([{messages: [], nextOffset: 5n}])
  })

  it('yields the whole segment as one chunk when it fits', () => {
    const chunks = [...chunksOf({messages: messages(3, 3), nextOffset: 6n})]
    expect(chunks.map(offsets)).to.deep.equal([[3, 4, 5]])
    expect(chunks[0].nextOffset).to.equal(6n)
  })
})
