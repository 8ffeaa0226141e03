/**
 * The bus calls the transform state store stands on, against the real broker: a compacted topic is created with its
 * configs, and readLatest returns the latest value per key (tombstones and keyless messages included) from every
 * partition, without leaving its throwaway consumer group behind. The store's own encoding is checked on top.
 */
import {expect} from 'chai'
import {createKafkajsBus} from '../../../../src/runtime/kafka/kafkajs/bus.js'
import type {MessageBus} from '../../../../src/runtime/kafka/message-bus.js'
import {createLogger} from '../../../../src/runtime/logger.js'
import {stateTopicOf, TransformStateStore} from '../../../../src/runtime/state/transform-state-store.js'
import {
  createTopic,
  groupsStartingWith,
  produceRaw,
  readTopic,
  testBrokers,
  topicConfig,
  uniqueName,
} from '../../../support/kafka-test-utils.js'

describe('state topic through the real broker', function () {
  this.timeout(60_000)
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  let bus: MessageBus
  let clientId: string

  beforeEach(() => {
    logs.length = 0
    clientId = uniqueName('it-bus')
    bus = createKafkajsBus({brokers: testBrokers(), clientId, logger})
  })

  afterEach(() => bus.close())

  it('readLatest: a missing topic reads as empty', async () => {
    expect((await bus.readLatest(uniqueName('it-missing'))).size).to.equal(0)
  })

  const readLatestTitle =
    'readLatest: the latest value per key from every partition; a tombstone removes its key; ' +
    'no group is left behind'
  it(readLatestTitle, async () => {
    const topic = uniqueName('it-latest')
    await createTopic(topic, 3)
    await produceRaw(topic, [
      {key: 'a', value: '1'},
      {key: 'b', value: '1'},
      {key: 'c', value: '1'},
      {key: 'd', value: '1'},
      {key: 'a', value: '2'},
      {key: 'b', value: null},
      {value: 'keyless'},
      {key: 'e', value: '1'},
      {key: 'a', value: '3'},
    ])
    const latest = await bus.readLatest(topic)
    expect(Object.fromEntries([...latest].map(([key, value]) => [key, value.toString()]))).to.deep.equal({
      a: '3',
      c: '1',
      d: '1',
      e: '1',
    })
    expect(await groupsStartingWith(clientId)).to.deep.equal([])
  })

  it('ensureTopic passes configEntries; the store writes only what it is given and reads it back, parsed', async () => {
    const group = `${uniqueName('it-group')} with/odd chars`
    const topic = stateTopicOf(group)
    expect(topic).to.match(/^it-group-[0-9a-f]{8}_with_odd_chars\.state$/)
    const producer = await bus.createProducer()
    const store = new TransformStateStore({bus, topic, replicationFactor: 1, producer: async () => producer, logger})
    try {
      expect((await store.readAll()).size).to.equal(0)
      await store.write(4, 120n, [
        {index: 0, label: 'hourly', type: 'window', json: '{"version":1,"keys":[]}'},
        {index: 2, label: 'o', type: 'ohlc', json: '[1,2]'},
      ])
      await store.write(4, 180n, [{index: 0, label: 'hourly', type: 'window', json: '{"version":1,"keys":["x"]}'}])
      await store.write(1, 7n, [])
      expect(await topicConfig(topic, 'cleanup.policy')).to.equal('compact')
      expect(await topicConfig(topic, 'segment.ms')).to.equal('3600000')
      const raw = await readTopic(topic, 3)
      expect(raw.map((m) => [m.key, JSON.parse(m.value)])).to.deep.equal([
        ['4/0', {offset: '120', label: 'hourly', type: 'window', state: {version: 1, keys: []}}],
        ['4/2', {offset: '120', label: 'o', type: 'ohlc', state: [1, 2]}],
        ['4/0', {offset: '180', label: 'hourly', type: 'window', state: {version: 1, keys: ['x']}}],
      ])
      await produceRaw(topic, [
        {key: '4/3', value: 'not json'},
        {key: 'junk', value: '{}'},
        {key: '5/0', value: '{"offset": 3}'},
      ])
      const saved = await store.readAll()
      expect([...saved.keys()]).to.deep.equal([4])
      expect(Object.fromEntries(saved.get(4)!)).to.deep.equal({
        0: {offset: 180n, label: 'hourly', type: 'window', state: {version: 1, keys: ['x']}},
        2: {offset: 120n, label: 'o', type: 'ohlc', state: [1, 2]},
      })
      expect(logs.filter((line) => line.includes('ignoring state entry'))).to.have.length(3)
    } finally {
      await producer.disconnect()
    }
  })
})
