/**
 * "Kafka Server started" is logged once the broker is unfenced, but on a restart the leaders of existing partitions
 * are re-elected and applied just after that; a client arriving in that gap gets NOT_LEADER errors. So the broker
 * counts as ready only once every user topic answers an offsets request.
 */
import {Kafka, logLevel} from 'kafkajs'

/** One attempt, a few seconds at most: true when every non-internal topic's partitions have a serving leader. */
export async function topicsServe(brokers: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'etl-local-broker',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: {retries: 0},
  })
  const admin = kafka.admin()
  try {
    await admin.connect()
    const topics = (await admin.listTopics()).filter((topic) => !topic.startsWith('__'))
    for (const topic of topics) await admin.fetchTopicOffsets(topic)
    return true
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}
