import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {murmur2} from '../../../../src/runtime/kafka/core/key-partitioner.js'

// patches/kafkajs+2.2.4.patch (applied by `npm install` / `npm ci` through patch-package) speeds up kafkajs' hot paths
// without changing a byte on the wire: linear grouping of a send's messages per partition (kafkajs PR #1576), records
// and varints written without a Buffer or BigInt each, slicing-by-8 CRC32C, and records decoded without BigInts.
const require = createRequire(import.meta.url)
const KAFKAJS_ROOT = 'KAFKAJS_ROOT' in process.env ? process.env.KAFKAJS_ROOT! : 'kafkajs'
const load = <T>(path: string) => require(`${KAFKAJS_ROOT}/src/${path}`) as T

type Message = {key: string; partition: number}
const groupMessagesPerPartition = load<
  (args: {
    topic: string
    partitionMetadata: unknown[]
    messages: Message[]
    partitioner: (args: {message: Message}) => number
  }) => Record<string, Message[]>
>('producer/groupMessagesPerPartition.js')

const DefaultPartitioner = load<
  () => (args: {
    topic: string
    partitionMetadata: unknown[]
    message: {key: string | null; partition?: number}
  }) => number
>('producer/partitioners/default/index.js')

const Batch =
  load<
    new (
      topic: string,
      fetchedOffset: string,
      partitionData: object,
    ) => {messages: {offset: string}[]; messagesWithinOffset: unknown[]}
  >('consumer/batch.js')

interface Long {
  toString(): string
}
const Long = load<{fromValue(value: string | number | bigint): Long}>('utils/long.js')
type Bytes = string | Buffer | null
interface ProducedMessage {
  key: Bytes
  value: Bytes
  timestamp: number
  headers?: Record<string, string | Buffer | string[]>
}
const produceRequest = load<(args: object) => {encode(): Promise<{buffer: Buffer}>}>(
  'protocol/requests/produce/v3/request.js',
)
const {RecordBatch} = load<{RecordBatch: (args: object) => Promise<{buffer: Buffer}>}>(
  'protocol/recordBatch/v0/index.js',
)
const Record = load<(args: object) => unknown>('protocol/recordBatch/record/v0/index.js')
interface DecodedRecord {
  key: Buffer | null
  value: Buffer | null
  offset: string
  timestamp: string
  headers: Record<string, Buffer | Buffer[]>
}
const decodeBatch = load<(decoder: unknown) => Promise<{records: DecodedRecord[]}>>(
  'protocol/recordBatch/v0/decoder.js',
)
interface DecoderInstance {
  offset: number
  readVarLong(): Long
  readVarLongFast?(): number | Long
}
const Decoder = load<new (buffer: Buffer) => DecoderInstance>('protocol/decoder.js')
interface EncoderInstance {
  buffer: Buffer
  writeVarLong(value: number | Long): EncoderInstance
  writeUVarInt(value: number): EncoderInstance
}
const Encoder = load<{new (): EncoderInstance; sizeOfVarLong(value: number | Long): number}>('protocol/encoder.js')
const crc32C = load<(buffer: Buffer) => number>('protocol/recordBatch/crc32C/index.js')

/** A small deterministic generator, so the golden hash below is reproducible. */
function seeded(seed: number) {
  let state = seed
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]
  return {next, pick}
}

function randomMessages(random: ReturnType<typeof seeded>, count: number, withHeaders: boolean): ProducedMessage[] {
  const text = () =>
    Array.from({length: Math.floor(random.next() * 300)}, () =>
      random.pick(['a', 'é', '你', '😀', '"', '{', '0']),
    ).join('')
  return Array.from({length: count}, (_, i) => {
    const message: ProducedMessage = {
      key: random.pick<Bytes>(['BTC', null, Buffer.from(`k${i}`), '', 'ETH']),
      value: random.pick<Bytes>([text(), Buffer.from(text()), null, '']),
      // Deltas from the batch's first timestamp: small, above 32 bits, negative, and beyond 2^51 (the BigInt path).
      timestamp: random.pick([
        1_700_000_000_000 + Math.floor(random.next() * 2 ** 40),
        1_700_000_000_000 - Math.floor(random.next() * 1e6),
        5,
        2 ** 52 + 1,
      ]),
    }
    if (withHeaders && random.next() < 0.3) message.headers = {a: 'x', b: ['1', '2'], c: Buffer.from('z')}
    return message
  })
}

describe('kafkajs patch', () => {
  it('is applied to the installed kafkajs', () => {
    for (const file of [
      'producer/groupMessagesPerPartition.js',
      'producer/partitioners/legacy/partitioner.js',
      'protocol/encoder.js',
      'protocol/decoder.js',
      'protocol/recordBatch/crc32C/crc32C.js',
      'protocol/recordBatch/record/v0/index.js',
      'protocol/recordBatch/record/v0/decoder.js',
      'protocol/recordBatch/v0/decoder.js',
      'consumer/batch.js',
      'consumer/consumerGroup.js',
      'consumer/offsetManager/index.js',
    ]) {
      expect(readFileSync(require.resolve(`kafkajs/src/${file}`), 'utf8'), file).to.include('etl:')
    }
  })

  describe('groupMessagesPerPartition', () => {
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
        expect(grouped[partition].map((m) => m.key)).to.deep.equal(
          messages.filter((m) => m.partition === partition).map((m) => m.key),
        )
      }
    })

    it('keeps a partition set on the message; hashes keys and spreads unkeyed messages as before', () => {
      const partitioner = DefaultPartitioner()
      const partitionMetadata = [0, 1, 2].map((partitionId) => ({partitionId, leader: 1}))
      expect(partitioner({topic: 't', partitionMetadata, message: {key: 'BTC', partition: 2}})).to.equal(2)
      expect(partitioner({topic: 't', partitionMetadata, message: {key: 'BTC', partition: 0}})).to.equal(0)
      for (const key of ['BTC', 'ETH', 'SOL', 'k1', '']) {
        expect(partitioner({topic: 't', partitionMetadata, message: {key}}), key).to.equal(
          (murmur2(Buffer.from(key)) & 0x7fffffff) % 3,
        )
      }
      const unkeyed = Array.from({length: 6}, () => partitioner({topic: 't', partitionMetadata, message: {key: null}}))
      expect(new Set(unkeyed).size).to.equal(3)
    })

    it('returns no groups when the topic has no partition metadata', () => {
      const grouped = groupMessagesPerPartition({
        topic: 't',
        partitionMetadata: [],
        messages: [{key: 'a', partition: 0}],
        partitioner: () => 0,
      })
      expect(grouped).to.deep.equal({})
    })
  })

  describe('encoding', () => {
    it('writes produce requests byte for byte as unpatched kafkajs 2.2.4 does', async () => {
      // 100 requests of seeded random records (string, Buffer and null keys and values, multi-byte text, headers on
      // some, timestamp deltas up to beyond 2^51). The hash was taken from the same requests encoded by the pristine
      // kafkajs 2.2.4 tarball (KAFKAJS_ROOT=<its folder> runs this file against it).
      const random = seeded(7)
      const hash = createHash('sha256')
      for (let round = 0; round < 100; round++) {
        const topicData = [
          {
            topic: 'crypto_prices',
            partitions: [
              {
                partition: 0,
                firstSequence: 3,
                messages: randomMessages(random, 1 + Math.floor(random.next() * 50), round % 2 === 0),
              },
              {partition: 2, firstSequence: 0, messages: randomMessages(random, 3, false)},
            ],
          },
        ]
        const request = produceRequest({
          acks: -1,
          timeout: 30_000,
          transactionalId: round % 3 ? 'etl-source-x' : null,
          producerId: 1000,
          producerEpoch: 1,
          topicData,
        })
        hash.update((await request.encode()).buffer)
      }
      expect(hash.digest('hex')).to.equal('c1c17fe48bfdf2e70ee7c0ed37056af9149c16d8cf6e075a0e667fc852411bda')
    })

    it('writes varlongs and varints as the BigInt path does', () => {
      const random = seeded(11)
      const values = [
        0,
        1,
        -1,
        63,
        64,
        -64,
        -65,
        2 ** 31,
        -(2 ** 31),
        2 ** 48,
        2 ** 51,
        -(2 ** 51),
        2 ** 51 + 2,
        2 ** 53 - 1,
      ]
      for (let i = 0; i < 500; i++)
        values.push(Math.round((random.next() - 0.5) * 2 ** (1 + Math.floor(random.next() * 52))))
      for (const value of values) {
        const fast = new Encoder().writeVarLong(value).buffer
        const viaLong = new Encoder().writeVarLong(Long.fromValue(BigInt(value))).buffer
        expect(fast.equals(viaLong), `varlong ${value}`).to.equal(true)
        expect(Encoder.sizeOfVarLong(value), `size of ${value}`).to.equal(viaLong.length)
      }
      for (const value of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 32 - 1]) {
        const expected: number[] = []
        let rest = value
        while (rest >= 128) {
          expected.push((rest % 128) | 128)
          rest = Math.floor(rest / 128)
        }
        expected.push(rest)
        expect([...new Encoder().writeUVarInt(value).buffer], `uvarint ${value}`).to.deep.equal(expected)
      }
    })

    it('computes CRC32C as the byte-at-a-time table does, for every length and the standard check value', () => {
      expect(crc32C(Buffer.from('123456789'))).to.equal(0xe3069283)
      const table = Array.from({length: 256}, (_, n) => {
        let c = n
        for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
        return c >>> 0
      })
      const reference = (bytes: Buffer) => {
        let crc = 0xffffffff
        for (const byte of bytes) crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8)
        return (crc ^ 0xffffffff) >>> 0
      }
      const random = seeded(5)
      for (let length = 0; length < 200; length++) {
        const bytes = Buffer.from(Array.from({length}, () => Math.floor(random.next() * 256)))
        expect(crc32C(bytes), `length ${length}`).to.equal(reference(bytes))
      }
    })
  })

  describe('decoding', () => {
    it('gives back every record of a batch, with offsets and timestamps beyond 2^53 too', async () => {
      const random = seeded(3)
      for (const firstOffset of ['0', '123456789', '9007199254740990', '9223372036854775000']) {
        for (const firstTimestamp of [1000, 1_700_000_000_000, 2 ** 53 - 10]) {
          const messages = randomMessages(random, 40, true)
          const records = messages.map((m, i) => Record({...m, offsetDelta: i, timestampDelta: m.timestamp - 1000}))
          const batch = await RecordBatch({
            records,
            firstOffset: Long.fromValue(firstOffset),
            firstTimestamp,
            maxTimestamp: firstTimestamp,
            lastOffsetDelta: messages.length - 1,
          })
          const decoded = (await decodeBatch(new Decoder(batch.buffer))).records
          expect(decoded).to.have.length(messages.length)
          decoded.forEach((record, i) => {
            const message = messages[i]
            const bytes = (value: Bytes) => (value === null ? null : Buffer.from(value))
            expect(record.offset).to.equal((BigInt(firstOffset) + BigInt(i)).toString())
            expect(record.timestamp).to.equal((BigInt(firstTimestamp) + BigInt(message.timestamp - 1000)).toString())
            expect(record.key).to.deep.equal(bytes(message.key))
            expect(record.value).to.deep.equal(bytes(message.value))
            const headers = Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [
                k,
                Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v),
              ]),
            )
            expect(record.headers).to.deep.equal(headers)
          })
        }
      }
    })

    it('drops the messages of a fetch below the fetched offset, numbers beyond 2^53 too', () => {
      for (const base of [0n, 5_000_000n, 2n ** 53n - 3n, 2n ** 62n]) {
        const messages = [0n, 1n, 2n, 3n, 4n].map((delta) => ({
          offset: String(base + delta),
          key: null,
          isControlRecord: delta === 4n,
          batchContext: {},
        }))
        const batch = new Batch('t', String(base + 2n), {
          partition: 0,
          highWatermark: String(base + 5n),
          messages,
          abortedTransactions: [],
        })
        expect(
          batch.messages.map((m) => m.offset),
          String(base),
        ).to.deep.equal([String(base + 2n), String(base + 3n)])
        expect(batch.messagesWithinOffset).to.have.length(3)
      }
    })

    it('reads varlongs as readVarLong does, as numbers where exact', () => {
      const random = seeded(13)
      for (let i = 0; i < 500; i++) {
        const value =
          BigInt(Math.round((random.next() - 0.5) * 2 ** (1 + Math.floor(random.next() * 52)))) *
          BigInt(i % 7 === 0 ? 4096 : 1)
        const bytes = new Encoder().writeVarLong(Long.fromValue(value)).buffer
        const slow = new Decoder(bytes)
        const fast = new Decoder(bytes)
        expect(String(fast.readVarLongFast ? fast.readVarLongFast() : fast.readVarLong()), `varlong ${value}`).to.equal(
          slow.readVarLong().toString(),
        )
        expect(fast.offset).to.equal(bytes.length)
      }
    })
  })
})
