/**
 * Records from a /simple/price answer: one per coin × currency, stamped with CoinGecko's `last_updated_at` (fetch
 * time when it sent none). Values that fail the response schema are rejected one by one, with a reason; a price whose
 * update time was already emitted (CoinGecko caches prices) is skipped. Repeated problems are warned about once.
 */
import type {EtlRecord, PluginContext} from '../../../sdk/index.js'
import type {Progress} from './progress.js'
import {simplePriceEntryProblems} from './response-schema.js'
import {isObject, isPositive, symbolOf, type Pending, type Settings} from './settings.js'

/** An entry's rejected fields, with the reason for each. */
type Invalid = Map<string, string>

export class PriceRecords {
  private readonly warned = new Set<string>()

  constructor(
    private readonly s: Settings,
    private readonly progress: Progress,
    private readonly context: Pick<PluginContext, 'count' | 'logger'>,
  ) {}

  /** The records of a body that passed simplePriceBodyProblem, fetched at `fetchedAt` (epoch ms). */
  fromBody(body: Record<string, unknown>, fetchedAt: number): Pending[] {
    const out: Pending[] = []
    for (const id of this.s.coins) {
      const entry = Object.hasOwn(body, id) ? body[id] : undefined // ids like 'constructor' must not hit Object
      if (entry === undefined) {
        this.context.count('unknown_coin_id')
        const message = `unknown coin id "${id}": CoinGecko returned nothing for it (ids are not tickers)`
        this.warnOnce(`unknown:${id}`, message, {coin: id})
      } else if (!isObject(entry)) {
        this.context.count('rejected_invalid_entry', this.s.vsCurrencies.length)
        const value = JSON.stringify(entry)
        this.context.logger.warn(`rejected CoinGecko entry for "${id}": not an object`, {coin: id, value})
      } else {
        this.entryRecords(id, entry, fetchedAt, out)
      }
    }
    return out
  }

  /** The records of one coin's entry, one per currency with a usable price, appended to out. */
  private entryRecords(id: string, entry: Record<string, unknown>, fetchedAt: number, out: Pending[]): void {
    // Values that fail the response schema are rejected one by one; the rest of the entry still flows.
    const invalid = simplePriceEntryProblems(entry)
    const updatedAt = this.updatedAt(id, entry, invalid)
    for (const vs of this.s.vsCurrencies) {
      const price = this.price(id, vs, entry, invalid)
      if (price === undefined) continue
      const key = `${id}/${vs}`
      if (updatedAt !== undefined && updatedAt * 1000 <= (this.progress.get(key) ?? -Infinity)) {
        this.context.count('duplicate_skipped')
        this.context.logger.debug(`skipped ${key}: last_updated_at unchanged`, {last_updated_at: updatedAt})
        continue
      }
      const record: EtlRecord = {
        symbol: symbolOf(this.s, id),
        [`price_${vs}`]: price,
        timestamp: new Date(updatedAt === undefined ? fetchedAt : updatedAt * 1000).toISOString(),
        coin_id: id,
        vs_currency: vs,
        source: 'coingecko',
      }
      if (this.s.includeMarketData) {
        record[`market_cap_${vs}`] = this.marketValue(id, entry, `${vs}_market_cap`, invalid)
        record[`volume_24h_${vs}`] = this.marketValue(id, entry, `${vs}_24h_vol`, invalid)
        record.change_24h_pct = this.marketValue(id, entry, `${vs}_24h_change`, invalid)
      }
      out.push({record, key, updatedAt})
    }
  }

  /** The entry's last_updated_at (epoch s), or undefined (counted, warned once) when it has no usable one. */
  private updatedAt(id: string, entry: Record<string, unknown>, invalid: Invalid): number | undefined {
    const raw = entry.last_updated_at
    if (isPositive(raw) && !invalid.has('last_updated_at')) return raw
    if (raw !== undefined) this.context.count('rejected_invalid_timestamp')
    this.context.count('missing_last_updated_at')
    this.warnOnce(`time:${id}`, `CoinGecko sent no usable last_updated_at for "${id}"; using fetch time instead`, {
      coin: id,
      value: JSON.stringify(raw),
      reason: invalid.get('last_updated_at'),
    })
    return undefined
  }

  /** The entry's price in vs, or undefined (counted, logged) when it is missing or invalid. */
  private price(id: string, vs: string, entry: Record<string, unknown>, invalid: Invalid): number | undefined {
    const price = entry[vs]
    if (price === undefined) {
      this.context.count('missing_price')
      this.warnOnce(`price:${id}/${vs}`, `CoinGecko sent no ${vs} price for "${id}"`, {coin: id, vs})
      return undefined
    }
    if (invalid.has(vs) || !isPositive(price)) {
      this.context.count('rejected_invalid_price')
      const value = JSON.stringify(price) ?? String(price)
      const reason = invalid.get(vs) ?? 'not a finite number > 0'
      this.context.logger.warn(`rejected ${id} ${vs} price: ${reason}`, {coin: id, vs, value})
      return undefined
    }
    return price
  }

  /** A market-data field, or null when absent or invalid. */
  private marketValue(id: string, entry: Record<string, unknown>, field: string, invalid: Invalid): number | null {
    const value = entry[field]
    if (invalid.has(field)) {
      this.context.count('rejected_invalid_market_data')
      this.warnOnce(`market:${id}/${field}`, `rejected ${id} ${field}: ${invalid.get(field)}`, {
        coin: id,
        value: JSON.stringify(value),
      })
      return null
    }
    if (typeof value === 'number' && Number.isFinite(value)) return value
    this.context.count('missing_market_data')
    return null
  }

  private warnOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    this.context.logger.warn(message, fields)
  }
}
