/** The offset right after a send's last record per partition, from the broker's base offsets and etl's counts. */
import {expect} from 'chai'
import {mergeOffsets, PartitionCounts} from '../../../../src/runtime/kafka/core/produced-offsets.js'
import type {ProducedOffsets} from '../../../../src/runtime/kafka/message-bus.js'

describe('produced offsets', () => {
  it('base offset + records counted in that partition, per topic', () => {
    const counts = new PartitionCounts()
    for (const partition of [0, 0, 1, 0]) counts.add('a', partition)
    counts.add('b', 2, 5)
    const offsets = counts.offsetsAfter([
      {topic: 'a', partition: 0, baseOffset: 10n},
      {topic: 'a', partition: 1, baseOffset: 0n},
      {topic: 'b', partition: 2, baseOffset: 7n},
    ])
    expect(offsets).to.deep.equal(
      new Map([
        [
          'a',
          new Map([
            [0, 13n],
            [1, 1n],
          ]),
        ],
        ['b', new Map([[2, 12n]])],
      ]),
    )
  })

  it('leaves out what the broker did not say, and partitions the send wrote nothing to', () => {
    const counts = new PartitionCounts()
    counts.add('a', 0)
    counts.add('a', 1)
    const offsets = counts.offsetsAfter([
      {topic: 'a', partition: 0, baseOffset: undefined},
      {topic: 'a', partition: 1, baseOffset: -1n},
      {topic: 'a', partition: 2, baseOffset: 4n},
      {topic: 'other', partition: 0, baseOffset: 4n},
    ])
    expect(offsets.size).to.equal(0)
  })

  it('counts a topic that appears twice in one send as one', () => {
    const counts = new PartitionCounts()
    counts.add('a', 0, 2)
    counts.add('a', 0, 3)
    expect(counts.offsetsAfter([{topic: 'a', partition: 0, baseOffset: 0n}]).get('a')).to.deep.equal(new Map([[0, 5n]]))
  })

  it('mergeOffsets adds a later send’s partitions; a partition in both takes the later offset', () => {
    const into = new Map<string, ProducedOffsets>([['a', new Map([[0, 3n]])]])
    mergeOffsets(
      into,
      new Map([
        [
          'a',
          new Map([
            [0, 5n],
            [1, 2n],
          ]),
        ],
        ['b', new Map([[0, 1n]])],
      ]),
    )
    expect(into.get('a')).to.deep.equal(
      new Map([
        [0, 5n],
        [1, 2n],
      ]),
    )
    expect(into.get('b')).to.deep.equal(new Map([[0, 1n]]))
  })
})
