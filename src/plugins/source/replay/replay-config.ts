/** The replay source's config, as its schema (index.ts) fills it in. */

export interface ReplayConfig {
  path: string
  symbol: string
  coinId: string
  vsCurrency: string
  timestampColumn: string
  timestampUnit: 's' | 'ms' | 'iso'
  priceColumn: string
  extraColumns: string[]
  speed: number
  batchSize: number
  limit?: number
  loop: number
}

export const DEFAULT_PATH = 'data/btcusd-1d-2011-2025.csv'

/** The settings that decide which record a row becomes: a checkpoint taken under others is not continued. */
export function readSettings(config: ReplayConfig): string {
  return JSON.stringify([
    config.symbol,
    config.coinId,
    config.vsCurrency.toLowerCase(),
    config.timestampColumn,
    config.timestampUnit,
    config.priceColumn,
    config.extraColumns,
  ])
}
