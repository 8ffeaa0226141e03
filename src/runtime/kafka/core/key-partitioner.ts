/**
 * The partition of a record, exactly as kafkajs' DefaultPartitioner (and the Java client) picks it: a keyed record goes
 * to murmur2(key) & 0x7fffffff modulo the partition count, so both clients put a key on the same partition and a
 * pipeline can switch clients without reordering a key's records. @platformatic/kafka's own murmur2 computes the same
 * hash with BigInt arithmetic; this one uses 32-bit integer arithmetic, which is many times cheaper per record.
 */

const M = 0x5bd1e995
const SEED = 0x9747b28c

/** Java-compatible murmur2 (org.apache.kafka.common.utils.Utils.murmur2): a signed 32-bit hash. */
export function murmur2(data: Buffer): number {
  const length = data.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const tail = length & 3 // the last 1–3 bytes, highest first (Java's switch falls through)
  if (tail === 3) h ^= data[whole + 2] << 16
  if (tail >= 2) h ^= data[whole + 1] << 8
  if (tail >= 1) {
    h ^= data[whole]
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition of a keyed message: Java's murmur2 of the key, as both clients (and Kafka's own) compute it. */
export function keyPartition(key: string, partitionCount: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitionCount
}

/** Picks partitions per topic: keyed records by hash, keyless ones round-robin (as kafkajs does). */
export class KeyPartitioner {
  private readonly counters = new Map<string, number>()

  partition(topic: string, key: string | null, partitionCount: number): number {
    if (key !== null) return keyPartition(key, partitionCount)
    const next = this.counters.get(topic) ?? Math.floor(Math.random() * partitionCount)
    this.counters.set(topic, (next + 1) % partitionCount)
    return next % partitionCount
  }
}
