/** etl's murmur2 partitioner (for @platformatic/kafka) picks the same partition as kafkajs' DefaultPartitioner. */
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {Partitioners, type PartitionerArgs} from 'kafkajs'
import {KeyPartitioner, murmur2} from '../../../../src/runtime/kafka/core/key-partitioner.js'

describe('key partitioner', () => {
  it("murmur2 gives the Java client's values", () => {
    // Known values of org.apache.kafka.common.utils.Utils.murmur2 (from Kafka's UtilsTest).
    expect(murmur2(Buffer.from('21'))).to.equal(-973932308)
    expect(murmur2(Buffer.from('foobar'))).to.equal(-790332482)
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).to.equal(-985981536)
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).to.equal(-1486304829)
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).to.equal(-58897971)
    expect(murmur2(Buffer.from([97, 98, 99]))).to.equal(479470107)
  })

  it('keyed records land where kafkajs puts them, for any key and partition count', () => {
    const mine = new KeyPartitioner()
    const kafkajs = Partitioners.DefaultPartitioner()
    for (let i = 0; i < 2000; i++) {
      const key = i % 2 === 0 ? randomBytes(i % 37).toString('hex') : `coin-${i}-€✓`.repeat(i % 5)
      const count = 1 + (i % 13)
      const partitionMetadata = Array.from({length: count}, (_, partitionId) => ({
        partitionId,
        leader: 1,
      })) as PartitionerArgs['partitionMetadata']
      expect(mine.partition('t', key, count), `${key} over ${count}`).to.equal(
        kafkajs({topic: 't', partitionMetadata, message: {key, value: 'v'}}),
      )
    }
  })

  it('keyless records go round-robin over every partition', () => {
    const mine = new KeyPartitioner()
    const picked = Array.from({length: 12}, () => mine.partition('t', null, 4))
    expect(new Set(picked)).to.deep.equal(new Set([0, 1, 2, 3]))
    for (let i = 1; i < picked.length; i++) expect(picked[i]).to.equal((picked[i - 1] + 1) % 4)
  })
})
