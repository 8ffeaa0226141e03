/**
 * Which node is the active controller of a KRaft cluster. Not describeCluster (Metadata): in KRaft mode a broker
 * answers it with a random live broker as "controller", because clients never talk to controllers. DescribeQuorum,
 * which brokers forward to the quorum's leader, names the leader of __cluster_metadata: the active controller.
 * kafkajs has no DescribeQuorum, so this one request goes through @platformatic/kafka's protocol layer.
 */
import {backoffDelay, sleep} from '../retry.js'

const METADATA_TOPIC = '__cluster_metadata'

/** The active controller's node id as the first broker that answers says, or undefined when none does. */
export async function activeController(brokers: string[], timeoutMs = 5000): Promise<number | undefined> {
  const {Connection, describeQuorumV0} = await import('@platformatic/kafka')
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    for (const broker of brokers) {
      const [host, port] = [broker.slice(0, broker.lastIndexOf(':')), Number(broker.slice(broker.lastIndexOf(':') + 1))]
      const connection = new Connection('etl-kafka-status', {connectTimeout: 2000, requestTimeout: 3000})
      try {
        await connection.connect(host, port)
        const topics = [{topicName: METADATA_TOPIC, partitions: [{partitionIndex: 0}]}]
        const answer = await describeQuorumV0.api.async(connection, topics)
        const leader = answer.topics[0]?.partitions[0]?.leaderId
        if (leader !== undefined && leader >= 0) return leader
      } catch {
        // Down or not yet serving: ask the next one.
      } finally {
        await connection.close().catch(() => undefined)
      }
    }
    await sleep(backoffDelay(attempt, {initialDelayMs: 200, maxDelayMs: 1000}))
  }
  return undefined
}
