/**
 * The `storage` section of `npm run bench`: the postgres sink against `psql \copy` of the same rows on a throwaway
 * cluster (goal: the sink at ≥ 50 % of COPY's rate), and the parquet sink beside the csv sink. Both measure the sinks
 * alone, without a broker; see postgres-sink.ts and parquet-sink.ts.
 */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {startLocalPostgres, stopLocalPostgresSync} from '../../src/runtime/postgres-local/local-postgres.js'
import {freePorts} from '../../test/support/global-broker.js'
import {formatParquetSink, parquetVsCsv, type ParquetSinkResult} from './parquet-sink.js'
import {postgresSinkBench, type PostgresSinkResult} from './postgres-sink.js'

export interface StorageResults {
  postgres: PostgresSinkResult
  parquet: ParquetSinkResult
}

/** Runs both measurements on `rows` tick rows; the cluster lives only for the postgres one. */
export async function storageSinks(rows: number, log: (message: string) => void): Promise<StorageResults> {
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-pg-cluster-'))
  let postgres: PostgresSinkResult
  try {
    const [port] = await freePorts(1)
    const info = await startLocalPostgres({dir, port})
    log(`storage: postgres sink vs psql \\copy, ${rows} rows (PostgreSQL on port ${port}, fsync on)`)
    postgres = await postgresSinkBench({...info, database: 'postgres'}, {rows, batchSize: 2000})
  } finally {
    stopLocalPostgresSync(dir, {remove: true})
  }
  log(`storage: parquet sink vs csv sink, ${rows} rows`)
  const parquet = await parquetVsCsv(rows, 500)
  return {postgres, parquet}
}

export function formatStorage({postgres, parquet}: StorageResults): string {
  const rate = (n: number) => `${n.toLocaleString('en-US')} rows/s`
  const met = postgres.ratio >= 0.5 ? 'goal met' : 'goal NOT met'
  const rounds = (postgres.ratios ?? [postgres.ratio]).map((r) => `${(r * 100).toFixed(0)} %`).join(', ')
  return [
    `PostgreSQL: ${postgres.rows.toLocaleString('en-US')} tick rows, sink flushes of ${postgres.batchSize}`,
    `  postgres sink ${rate(postgres.sink.rowsPerSec).padStart(16)}`,
    `  psql \\copy    ${rate(postgres.psqlCopy.rowsPerSec).padStart(16)}`,
    `  sink / COPY: ${(postgres.ratio * 100).toFixed(0)} % (median of rounds ${rounds}; goal ≥ 50 %: ${met})`,
    formatParquetSink(parquet),
  ].join('\n')
}
