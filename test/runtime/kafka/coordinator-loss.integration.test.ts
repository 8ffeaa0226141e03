/**
 * Both clients' group consumers on a real three-broker cluster (test/support/test-cluster.ts) when the broker that
 * coordinates their group dies: commits and heartbeats must follow the group to its new coordinator. Unpatched
 * kafkajs 2.2.4 keeps sending them to the dead broker (then, once it is back, to a broker that answers NOT_COORDINATOR)
 * until its retries run out, about a minute in which a worker handles nothing; the member then rejoins and handles
 * the uncommitted records again (seen with the unpatched files: records 10–19 twice). tulios/kafkajs#1779; etl's fix
 * is in patches/kafkajs+2.2.4.patch. @platformatic/kafka forgets the coordinator on such errors by itself.
 */
import {expect} from 'chai'
import {createMessageBus, KAFKA_CLIENTS} from '../../../src/runtime/kafka/create-bus.js'
import type {BusConsumer, MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {uniqueName} from '../../support/kafka-test-utils.js'
import {TestCluster} from '../../support/test-cluster.js'

async function eventually(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

const messages = (from: number, count: number) =>
  Array.from({length: count}, (_, i) => ({key: `k${from + i}`, value: String(from + i)}))

for (const client of KAFKA_CLIENTS) {
  describe(`${client} group consumer: the group coordinator dies (real three-broker cluster)`, function () {
    this.timeout(300_000)
    // kafkajs, patched, still loses the group now and then (2 of 17 runs beside two busy loops, 1 of 4 CI runs): its
    // runner backs off up to 30 s between retries while the coordinator moves (~9 s), no heartbeat goes out meanwhile,
    // and the 30 s session can expire; the member then rejoins and handles the uncommitted records again. Unpatched
    // it does so every time, so a few tries still tell the two apart.
    if (client === 'kafkajs') this.retries(2)
    let cluster: TestCluster | undefined
    let bus: MessageBus | undefined
    let consumer: BusConsumer | undefined
    const logs: string[] = []

    afterEach(async () => {
      await consumer?.stop().catch(() => undefined)
      await bus?.close().catch(() => undefined)
      await cluster?.stop()
    })

    it('commits go to the new coordinator: every record handled once, committed, and no rejoin', async () => {
      logs.length = 0
      cluster = await TestCluster.start(3)
      const logger = createLogger('test', {write: (line) => logs.push(line), level: 'info'})
      bus = await createMessageBus(client, {brokers: cluster.brokers, clientId: uniqueName('it-coordinator'), logger})
      const topic = uniqueName('it-coordinator')
      const groupId = uniqueName('it-coordinator-group')
      await bus.ensureTopic({topic, partitions: 1})
      const producer = await bus.createProducer()
      await producer.send(topic, messages(0, 10))

      const handled: string[] = []
      const assignments: number[][] = []
      consumer = bus.createConsumer(groupId)
      const running = consumer.run({
        topic,
        groupId,
        fromBeginning: true,
        onAssignment: ({partitions}) => void assignments.push(partitions),
        onBatch: async (batch) => void handled.push(...batch.messages.map((m) => String(m.value))),
      })
      running.catch(() => undefined)
      const committed = async () => (await bus!.committedOffsets(groupId, topic)).get(0)
      await eventually('the first 10 records committed', 90_000, async () => (await committed()) === 10n)

      const coordinator = await cluster.groupCoordinator(groupId)
      // What happened before is not this test's business (a fresh cluster may still be loading the group's partition
      // of __consumer_offsets at the first join, which makes kafkajs restart its consumer).
      const [logsBefore, joinsBefore] = [logs.length, assignments.length]
      await cluster.kill(coordinator, 'SIGKILL')
      // Past the heartbeat interval (3 s): the next heartbeat meets the dead coordinator too.
      await new Promise((resolve) => setTimeout(resolve, 4000))
      await producer.send(topic, messages(10, 10))
      // A wide bound, not a speed check: unpatched kafkajs gets there too, after about a minute and a rejoin, and it
      // is the rejoin the assertions below catch.
      await eventually('the next 10 records committed', 180_000, async () => (await committed()) === 20n)
      await producer.disconnect()

      const after = logs.slice(logsBefore)
      const context = `node ${coordinator} killed; logs after that:\n${after.join('\n')}`
      expect(handled, `each record handled once, in order; ${context}`).to.deep.equal(
        messages(0, 20).map((m) => m.value),
      )
      expect(assignments.slice(joinsBefore), `no join after the loss; ${context}`).to.deep.equal([])
      const restarts = after.filter((line) => /consumer restarting|consumer failed/.test(line))
      expect(restarts, `no consumer restart; ${context}`).to.deep.equal([])
    })
  })
}
