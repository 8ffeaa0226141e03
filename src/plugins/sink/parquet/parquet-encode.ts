/**
 * Spooled rows of one partition as the bytes of one Parquet file, written with hyparquet-writer (pure JavaScript: no
 * native build, and the tests' reader, DuckDB, stays independent of the writer; see the README for the measurements
 * behind the choice). Every column is OPTIONAL (a missing value is a null). Timestamps carry the TIMESTAMP_MILLIS /
 * TIMESTAMP_MICROS converted type, which DuckDB, Spark and pandas read as a timestamp (values are UTC instants).
 * gzip and zstd come from node:zlib; snappy is hyparquet-writer's own.
 */
import {constants, gzipSync, zstdCompressSync} from 'node:zlib'
import {ByteWriter, parquetWrite, type ColumnSource, type SchemaElement} from 'hyparquet-writer'
import type {Column, SpoolValue} from './column-types.js'
import type {Compression} from './parquet-config.js'

type Codec = 'SNAPPY' | 'GZIP' | 'ZSTD' | 'UNCOMPRESSED'

const CODECS: Record<Compression, Codec> = {snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD', uncompressed: 'UNCOMPRESSED'}

const COMPRESSORS = {
  GZIP: (input: Uint8Array) => gzipSync(input),
  ZSTD: (input: Uint8Array) => zstdCompressSync(input, {params: {[constants.ZSTD_c_compressionLevel]: 3}}),
}

/** Rows per row group: large enough for good compression, small enough for readers to skip by statistics. */
const ROW_GROUP_SIZE = 100_000

function schemaElement(column: Column): SchemaElement {
  const base = {name: column.name, repetition_type: 'OPTIONAL' as const}
  switch (column.type) {
    case 'string':
      return {...base, type: 'BYTE_ARRAY', converted_type: 'UTF8'}
    case 'double':
      return {...base, type: 'DOUBLE'}
    case 'int64':
      return {...base, type: 'INT64'}
    case 'boolean':
      return {...base, type: 'BOOLEAN'}
    case 'timestamp':
      return {
        ...base,
        type: 'INT64',
        converted_type: column.unit === 'micros' ? 'TIMESTAMP_MICROS' : 'TIMESTAMP_MILLIS',
      }
  }
}

/** One column's values as hyparquet-writer takes them: INT64 columns (int64, timestamp) as BigInts. */
function columnValues(column: Column, rows: readonly SpoolValue[][], index: number): unknown[] {
  const values = new Array<unknown>(rows.length)
  const big = column.type === 'int64' || column.type === 'timestamp'
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i][index]
    values[i] = big && value !== null ? BigInt(value as string | number) : value
  }
  return values
}

/** The Parquet file holding `rows` (values in `columns` order). */
export async function encodeParquet(
  columns: readonly Column[],
  rows: readonly SpoolValue[][],
  compression: Compression,
) {
  const writer = new ByteWriter()
  const codec = CODECS[compression]
  // Synchronous for in-memory columns; awaited since its type allows a promise (streamed column sources).
  await parquetWrite({
    writer,
    codec,
    compressors: COMPRESSORS,
    rowGroupSize: ROW_GROUP_SIZE,
    createdBy: 'etl parquet sink (hyparquet-writer)',
    schema: [{name: 'root', num_children: columns.length}, ...columns.map(schemaElement)],
    columnData: columns.map((column, index): ColumnSource => ({
      name: column.name,
      data: columnValues(column, rows, index) as never,
    })),
  })
  return new Uint8Array(writer.getBuffer())
}
