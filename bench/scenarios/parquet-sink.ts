/**
 * The parquet sink's write rate beside the csv sink's: the same tick-like rows (symbol, price_usd, volume, timestamp)
 * in the same batches, each batch written and flushed the way the process stage does (write, flush, next batch),
 * fsync on for both, and close() at the end (for the parquet sink that includes the last roll). The parquet lake is
 * partitioned by day and symbol and rolled at its defaults. No broker: this measures the sinks alone.
 *
 *   node --import tsx bench/scenarios/parquet-sink.ts [--rows 200000] [--batch 500] [--json]
 */
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import csv from '../../src/plugins/sink/csv/index.js'
import parquet from '../../src/plugins/sink/parquet/index.js'
import type {AnyPluginDefinition, EtlRecord, SinkInstance} from '../../src/runtime/plugin-types.js'
import {tickRows} from '../lib/tick-rows.js'
import {pluginConfig, testContext} from '../../src/testing/index.js'

export interface SinkRate {
  sink: string
  rows: number
  seconds: number
  rowsPerSec: number
  /** Bytes on disk after close (the CSV file; the lake's Parquet files). */
  bytes: number
  files: number
}

export interface ParquetSinkResult {
  rows: number
  batchSize: number
  parquet: SinkRate
  csv: SinkRate
}

function diskUsage(path: string, suffix: string): {bytes: number; files: number} {
  const names = (readdirSync(path, {recursive: true}) as string[]).filter((name) => name.endsWith(suffix))
  return {bytes: names.reduce((sum, name) => sum + statSync(join(path, name)).size, 0), files: names.length}
}

async function timeSink(
  definition: AnyPluginDefinition,
  config: Record<string, unknown>,
  rows: EtlRecord[],
  batchSize: number,
  cwd: string,
): Promise<number> {
  const {context} = testContext({cwd, logLevel: 'warn'})
  const started = performance.now()
  const sink = (await definition.create(pluginConfig(definition, config) as never, context)) as SinkInstance
  await sink.positions?.('bench')
  for (let i = 0; i < rows.length; i += batchSize) {
    await sink.write(rows.slice(i, i + batchSize), {partition: 0, nextOffset: BigInt(i + batchSize)})
    await sink.flush()
  }
  await sink.close()
  return (performance.now() - started) / 1000
}

/** Writes `rows` tick rows through both sinks (parquet first), in batches of `batchSize`; rows/s of each. */
export async function parquetVsCsv(rows: number, batchSize: number): Promise<ParquetSinkResult> {
  const input = tickRows(rows)
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-parquet-'))
  try {
    const lake = {path: 'lake', partitionBy: [{field: 'timestamp', as: 'date', format: 'day'}, 'symbol']}
    const parquetSeconds = await timeSink(parquet, lake, input, batchSize, dir)
    const csvSeconds = await timeSink(csv, {path: 'ticks.csv'}, input, batchSize, dir)
    const rate = (sink: string, seconds: number, usage: {bytes: number; files: number}): SinkRate => ({
      sink,
      rows,
      seconds,
      rowsPerSec: Math.round(rows / seconds),
      ...usage,
    })
    return {
      rows,
      batchSize,
      parquet: rate('parquet', parquetSeconds, diskUsage(join(dir, 'lake'), '.parquet')),
      csv: rate('csv', csvSeconds, diskUsage(dir, '.csv')),
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

export function formatParquetSink(result: ParquetSinkResult): string {
  const line = ({sink, rowsPerSec, seconds, bytes, files}: SinkRate) =>
    `  ${sink.padEnd(8)} ${`${rowsPerSec.toLocaleString('en-US')} rows/s`.padStart(16)} ` +
    `${`${seconds.toFixed(2)} s`.padStart(9)} ${`${(bytes / 1e6).toFixed(1)} MB`.padStart(9)} in ${files} file(s)`
  return [
    `Sinks alone: ${result.rows.toLocaleString('en-US')} tick rows in batches of ${result.batchSize}, ` +
      'each written + flushed (fsync), then close',
    line(result.parquet),
    line(result.csv),
    `  parquet / csv: ${(result.parquet.rowsPerSec / result.csv.rowsPerSec).toFixed(2)}`,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({
    options: {
      rows: {type: 'string', default: '200000'},
      batch: {type: 'string', default: '500'},
      json: {type: 'boolean'},
    },
  })
  const result = await parquetVsCsv(Number(values.rows), Number(values.batch))
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatParquetSink(result)}\n`)
}
