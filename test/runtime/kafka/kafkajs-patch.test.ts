import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

// patches/kafkajs+2.2.4.patch (applied by `npm install` / `npm ci` through patch-package) makes kafkajs group a send's
// messages per partition in linear time; upstream copies the partition's array for every message (kafkajs PR #1576).
const require = createRequire(import.meta.url)
const modulePath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')
type Message = {key: string; partition: number}
const groupMessagesPerPartition = require(modulePath) as (args: {
  topic: string
  partitionMetadata: unknown[]
  messages: Message[]
  partitioner: (args: {message: Message}) => number
}) => Record<string, Message[]>

describe('kafkajs patch (groupMessagesPerPartition)', () => {
  it('is applied to the installed kafkajs', () => {
    expect(readFileSync(modulePath, 'utf8')).to.include('etl: linear')
  })

  it('groups messages by the partitioner, keeping their order within each partition', () => {
    const messages = Array.from({length: 10}, (_, i) => ({key: `k${i}`, partition: (i * 7) % 3}))
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{partitionId: 0}, {partitionId: 1}, {partitionId: 2}],
      messages,
      partitioner: ({message}) => message.partition,
    })
    expect(Object.keys(grouped).sort()).to.deep.equal(['0', '1', '2'])
    for (const partition of [0, 1, 2]) {
      expect(grouped[partition].map((m) => m.key)).to.deep.equal(messages.filter((m) => m.partition === partition).map((m) => m.key))
    }
  })

  it('returns no groups when the topic has no partition metadata', () => {
    const grouped = groupMessagesPerPartition({topic: 't', partitionMetadata: [], messages: [{key: 'a', partition: 0}], partitioner: () => 0})
    expect(grouped).to.deep.equal({})
  })
})
