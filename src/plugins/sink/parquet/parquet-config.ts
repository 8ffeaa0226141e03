/**
 * The parquet sink's config as the schema gives it, and the one normalised form the rest of the plugin reads: the
 * lake root resolved, partition levels spelled out, roll limits in plain numbers (see the rollup-style rule in the
 * style guide: defaults applied once, nothing downstream re-reads raw options).
 */
import {EtlError, parseDuration, type Duration, type PluginContext} from '../../../sdk/index.js'
import type {Column, ColumnType} from './column-types.js'
import type {PartitionLevel, TimeFormat} from './partition-path.js'
import type {TimestampUnit} from './timestamp-value.js'

export const COMPRESSIONS = ['snappy', 'gzip', 'zstd', 'uncompressed'] as const
export type Compression = (typeof COMPRESSIONS)[number]

export interface ParquetSinkConfig {
  path?: string
  columns?: {name: string; type: ColumnType; unit?: TimestampUnit}[]
  partitionBy?: (string | {field: string; as?: string; format?: TimeFormat})[]
  roll: {maxRows: number; maxBytes: number; maxAge: Duration}
  compression: Compression
  timestampUnit: TimestampUnit
  fsync: boolean
}

export interface LakeSettings {
  root: string
  /** Undefined: inferred from the first record written. */
  columns: Column[] | undefined
  partitionBy: PartitionLevel[]
  maxRows: number
  maxBytes: number
  /** 0: no age limit. */
  maxAgeMs: number
  compression: Compression
  timestampUnit: TimestampUnit
  fsync: boolean
}

/** One partition level from its short (a field name) or long form. */
function partitionLevel(entry: NonNullable<ParquetSinkConfig['partitionBy']>[number]): PartitionLevel {
  if (typeof entry === 'string') return {field: entry, as: entry}
  return {field: entry.field, as: entry.as ?? entry.field, format: entry.format}
}

/** Problems the schema cannot express: duplicate partition keys. */
export function settingsProblems(config: ParquetSinkConfig): {path: string[]; message: string}[] {
  const levels = (config.partitionBy ?? []).map(partitionLevel)
  const seen = new Set<string>()
  const problems: {path: string[]; message: string}[] = []
  for (const [index, level] of levels.entries()) {
    if (seen.has(level.as))
      problems.push({path: ['partitionBy', String(index)], message: `partition key "${level.as}" appears twice`})
    seen.add(level.as)
  }
  return problems
}

export function normalizeSettings(config: ParquetSinkConfig, context: PluginContext): LakeSettings {
  const problem = settingsProblems(config)[0]
  if (problem) throw new EtlError('ETL_CONFIG_INVALID', `parquet: partitionBy: ${problem.message}`)
  return {
    root: context.resolvePath(config.path ?? `data/${context.pipelineName}-lake`),
    columns: config.columns?.map(({name, type, unit}) =>
      type === 'timestamp' ? {name, type, unit: unit ?? config.timestampUnit} : {name, type},
    ),
    partitionBy: (config.partitionBy ?? []).map(partitionLevel),
    maxRows: config.roll.maxRows,
    maxBytes: config.roll.maxBytes,
    maxAgeMs: parseDuration(config.roll.maxAge),
    compression: config.compression,
    timestampUnit: config.timestampUnit,
    fsync: config.fsync,
  }
}
