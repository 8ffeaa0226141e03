/** OutputProducer: one producer for the process stage's other topics, connected once, topics ensured once. */
import {expect} from 'chai'
import {OutputProducer} from '../../../src/runtime/stages/output-producer.js'
import {RecordingBus} from './recording-bus.js'

describe('OutputProducer', () => {
  it('connects once however many topics it serves, and ensures each topic once', async () => {
    const recording = new RecordingBus()
    const output = new OutputProducer(recording.bus, {replicationFactor: 1, partitions: 6})
    await output.forTopic('a', 1)
    await output.forTopic('a', 1)
    await output.forTopic('b', 3)
    await output.shared()
    expect(recording.connects).to.equal(1)
    expect(recording.ensured).to.deep.equal([
      {topic: 'a', partitions: 1, replicationFactor: 1},
      {topic: 'b', partitions: 3, replicationFactor: 1},
    ])
  })

  it('tries to connect again after a failed connect', async () => {
    const recording = new RecordingBus()
    recording.failConnects = 1
    const output = new OutputProducer(recording.bus, {replicationFactor: 1, partitions: 6})
    let failure: unknown
    await output.shared().catch((error) => (failure = error))
    expect((failure as Error).message).to.equal('broker unreachable')
    await output.shared()
    expect(recording.connects).to.equal(2)
  })

  it("gives plugins a producer that sends values as JSON, to topics made with the pipeline's partitions", async () => {
    const recording = new RecordingBus()
    const kafka = new OutputProducer(recording.bus, {replicationFactor: 2, partitions: 6}).topicProducer()
    await kafka.produce('alerts', [{key: 'BTC', value: {price: 1}}])
    await kafka.produce('other', [{key: null, value: {v: 'x'}}], {partitions: 2})
    expect(recording.sent).to.deep.equal([
      {topic: 'alerts', messages: [{key: 'BTC', value: '{"price":1}'}]},
      {topic: 'other', messages: [{key: null, value: '{"v":"x"}'}]},
    ])
    expect(recording.ensured.map((spec) => spec.partitions)).to.deep.equal([6, 2])
  })

  it('produces nothing (and connects nothing) for no messages', async () => {
    const recording = new RecordingBus()
    await new OutputProducer(recording.bus, {replicationFactor: 1, partitions: 1}).topicProducer().produce('t', [])
    expect(recording.connects).to.equal(0)
  })

  it('disconnects only a producer that was connected', async () => {
    const recording = new RecordingBus()
    const output = new OutputProducer(recording.bus, {replicationFactor: 1, partitions: 1})
    await output.disconnect()
    expect(recording.disconnects).to.equal(0)
    await output.shared()
    await output.disconnect()
    expect(recording.disconnects).to.equal(1)
  })
})
