/**
 * kafkajs's record batch encoding (the source stage's produce requests) and decoding (the process stage's fetches),
 * on batches of the bench's 175-byte replay records: the cost per record of what patches/kafkajs+2.2.4.patch changes.
 * Run it before and after `npx patch-package --reverse` to compare (or read the figures in docs/BENCHMARKS.md).
 *   node --import tsx bench/micro/kafkajs-codec.ts
 */
import {createRequire} from 'node:module'
import {micro} from '../lib/micro-harness.js'

const require = createRequire(import.meta.url)
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: object) => {
  encode(): Promise<{buffer: Buffer}>
}
const {RecordBatch} = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: object) => Promise<{buffer: Buffer}>
}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: object) => unknown
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{records: unknown[]}>
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number

const START = Date.parse('2011-08-18T12:35:00.000Z')
const BATCH = 5000
const messages = Array.from({length: BATCH}, (_, i) => ({
  key: 'BTC',
  value: JSON.stringify({
    symbol: 'BTC',
    price_usd: 10.9 + (i % 97) / 100,
    timestamp: new Date(START + i * 300_000).toISOString(),
    coin_id: 'bitcoin',
    vs_currency: 'usd',
    source: 'replay',
    open: 10.9,
    high: 11.2,
    low: 10.1,
    volume: 0.48990826 * (i % 13),
  }),
}))

const request = () =>
  produceRequest({
    acks: -1,
    timeout: 30_000,
    transactionalId: 'etl-source-bench',
    producerId: 1000,
    producerEpoch: 0,
    topicData: [{topic: 'crypto_prices', partitions: [{partition: 0, firstSequence: 0, messages}]}],
  })

async function main() {
  const encoded = await RecordBatch({
    records: messages.map((m, i) => Record({...m, offsetDelta: i, timestampDelta: 0})),
    firstTimestamp: START,
    maxTimestamp: START,
    producerId: 1000,
    firstSequence: 0,
    transactional: true,
    lastOffsetDelta: BATCH - 1,
  })
  const batchBytes = encoded.buffer
  process.stdout.write(`batch of ${BATCH} records: ${batchBytes.length} B\n`)

  // The harness is synchronous; encode() and the decoder are async only in signature (no I/O), so time them in a loop.
  const timeAsync = async (name: string, rounds: number, work: () => Promise<unknown>) => {
    await work()
    const times: number[] = []
    for (let r = 0; r < rounds; r++) {
      const start = process.hrtime.bigint()
      await work()
      times.push(Number(process.hrtime.bigint() - start) / BATCH)
    }
    times.sort((a, b) => a - b)
    process.stdout.write(`${name.padEnd(58)} ${times[Math.floor(rounds / 2)].toFixed(1).padStart(9)} ns/record\n`)
  }
  await timeAsync('encode a produce request (5,000 records)', 41, async () => (await request().encode()).buffer)
  await timeAsync('decode a record batch (5,000 records)', 41, () => decodeBatch(new Decoder(batchBytes)))
  micro('crc32C of the batch, per byte', batchBytes.length * 10, (ops) => {
    let crc = 0
    for (let done = 0; done < ops; done += batchBytes.length) crc ^= crc32C(batchBytes)
    return crc
  })
}

await main()
