import {expect} from 'chai'
import {createMessageBus} from '../../../src/runtime/kafka/create-bus.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {KafkaProbe} from '../../../src/runtime/metrics/kafka-probe.js'
import {freePorts, testBrokers} from '../../support/global-broker.js'

describe('KafkaProbe (is Kafka there, for /readyz; real broker)', () => {
  const logger = createLogger('test', {level: 'error'})

  it('reports reachable against the test broker', async () => {
    const bus = await createMessageBus('kafkajs', {brokers: testBrokers(), clientId: 'etl-test-probe', logger})
    try {
      const state = await new KafkaProbe(bus, {timeoutMs: 5000}).probe()
      expect(state).to.include({reachable: true})
    } finally {
      await bus.close()
    }
  })

  it('reports unreachable, with the reason, within its timeout where nothing listens', async () => {
    const [port] = await freePorts(1)
    const bus = await createMessageBus('kafkajs', {brokers: [`127.0.0.1:${port}`], clientId: 'etl-test-probe', logger})
    try {
      const started = Date.now()
      const state = await new KafkaProbe(bus, {timeoutMs: 1000}).probe()
      expect(state.reachable).to.equal(false)
      expect(state.error).to.be.a('string').and.not.equal('')
      expect(Date.now() - started).to.be.lessThan(3000)
    } finally {
      await bus.close()
    }
  })
})
