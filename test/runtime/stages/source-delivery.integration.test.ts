/**
 * The source's transactions against the real broker, for both clients: the state goes out in the same request as the
 * records with its `ends` predicted, one state message per transaction; when another producer wrote to the partition
 * in between, the prediction is wrong and the state is written again in the same transaction with the broker's
 * offsets. Either way the state read back names exactly where the source's records end.
 */
import {expect} from 'chai'
import {createMessageBus, KAFKA_CLIENTS} from '../../../src/runtime/kafka/create-bus.js'
import type {MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {SourceDelivery} from '../../../src/runtime/stages/source-delivery.js'
import {readSourceState} from '../../../src/runtime/state/source-state-store.js'
import {createTopic, partitionSizes, produceRaw, testBrokers, uniqueName} from '../../support/kafka-test-utils.js'

const logger = createLogger('test', {level: 'warn'})
const pack = (n: number, checkpoint: number) => ({
  messages: Array.from({length: n}, (_, i) => ({key: 'BTC', value: JSON.stringify({checkpoint, i})})),
  checkpoint: {value: checkpoint},
})

for (const client of KAFKA_CLIENTS) {
  describe(`source delivery (transactions, ${client})`, function () {
    this.timeout(120_000)
    let bus: MessageBus

    beforeEach(async () => {
      bus = await createMessageBus(client, {brokers: testBrokers(), clientId: uniqueName(`it-${client}`), logger})
    })
    afterEach(() => bus.close())

    it('writes the state with the records, predicted; corrects it when another producer wrote in between', async () => {
      const topic = uniqueName(`it-${client}-delivery`)
      const stateTopic = `${topic}.source-state`
      await createTopic(topic, 1)
      const delivery = new SourceDelivery({
        ...{bus, logger, topic, stateTopic, stateKey: 'p/source', transactionalId: uniqueName('etl-source-it')},
        ...{replicationFactor: 1, label: 'source', type: 'test', force: new AbortController().signal},
      })
      const fail = (error: unknown) => {
        throw error
      }
      // Offsets taken on the state topic: each transaction's state messages and its commit marker. Read committed:
      // the last stable offset moves once the markers are written, a moment after the commit returned.
      const expectStateEnd = async (expected: number, what: string) => {
        let end: number | undefined
        for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
          end = (await partitionSizes(stateTopic)).get(0)
          if (end === expected) return
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        expect(end, what).to.equal(expected)
      }
      try {
        // Never written before: nothing to predict from, so the state follows once the offsets are known.
        expect((await delivery.deliver(pack(3, 1), fail)).get(0)).to.equal(3n)
        await expectStateEnd(2, 'the first state, after the records')
        // Records 3 and 4 after the marker at offset 3: predicted, and written with them.
        expect((await delivery.deliver(pack(2, 2), fail)).get(0)).to.equal(6n)
        expect((await delivery.deliver(pack(2, 3), fail)).get(0)).to.equal(9n)
        await expectStateEnd(6, 'one state message per transaction')

        await produceRaw(topic, [{key: 'BTC', value: 'someone else'}])
        // The prediction (10 + 2) is off by that record: the state is written again, with the broker's offsets.
        expect((await delivery.deliver(pack(2, 4), fail)).get(0)).to.equal(13n)
        await expectStateEnd(9, 'the corrected state in the same transaction')
        const state = await readSourceState(bus, stateTopic, 'p/source')
        expect(state).to.deep.include({seq: 4, checkpoint: 4})
        expect(state?.ends).to.deep.equal(new Map([[0, 13n]]))
        expect(delivery.committedEnds).to.deep.equal(new Map([[0, 13n]]))

        expect((await delivery.deliver(pack(1, 5), fail)).get(0)).to.equal(15n)
        expect((await readSourceState(bus, stateTopic, 'p/source'))?.ends).to.deep.equal(new Map([[0, 15n]]))
        await expectStateEnd(11, 'predicted again')
      } finally {
        await delivery.close()
      }
    })
  })
}
