/**
 * A parquet sink in a process of its own, writing batches the way the process stage does, so a test can kill it with
 * -9 at any moment and start it again. Usage:
 * `node --import tsx parquet-sink-child.ts <dir> <config as JSON> <batches> <rows per batch>`.
 *
 * Batch i comes from partition i % 2 and holds rows n = i·R … i·R + R - 1 (R rows per batch); it is the ⌊i/2⌋-th
 * batch of its partition, so its origin's nextOffset is (⌊i/2⌋ + 1)·R. Like the process stage after a restart, the
 * child asks the sink for its positions first and skips the batches below them. Prints one JSON line per flushed
 * batch ({flushed: i}) and {done: true} after close.
 */
import parquet from '../../src/plugins/sink/parquet/index.js'
import type {EtlRecord, SinkInstance} from '../../src/runtime/plugin-types.js'
import {configFor, testContext} from './plugin-context.js'

const [dir, configJson, batchesArg, rowsArg] = process.argv.slice(2)
const batches = Number(batchesArg)
const rowsPerBatch = Number(rowsArg)
const symbols = ['BTC', 'ETH', 'SOL']

/** The rows of batch `i`: tick-like records spread over symbols and two days. */
export function batchRows(i: number, rows: number): EtlRecord[] {
  return Array.from({length: rows}, (_, j) => {
    const n = i * rows + j
    return {
      n,
      symbol: symbols[n % symbols.length],
      price_usd: 50_000 + n / 8,
      timestamp: new Date(Date.UTC(2026, 11, 1) + n * 61_000).toISOString(),
    }
  })
}

const report = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify(line) + '\n')

if (dir) {
  const {context} = testContext({cwd: dir})
  const sink = (await parquet.create(configFor(parquet, JSON.parse(configJson)), context)) as SinkInstance
  const positions = (await sink.positions!('prices')) ?? new Map<number, bigint>()
  for (let i = 0; i < batches; i++) {
    const partition = i % 2
    const nextOffset = BigInt((Math.floor(i / 2) + 1) * rowsPerBatch)
    if (nextOffset <= (positions.get(partition) ?? 0n)) continue
    await sink.write(batchRows(i, rowsPerBatch), {partition, nextOffset})
    await sink.flush()
    report({flushed: i})
  }
  await sink.close()
  report({done: true})
}
