/**
 * The latest record per message key, for `etl top`'s bottom rows: fed by the pipeline's tap (the records leaving its
 * last step, src/runtime/tap/), since metrics carry counts, never values. So a crypto pipeline shows the latest price
 * of each coin without the runtime knowing what a price is. Bounded: past `maxKeys`, the key least recently seen goes.
 */
import type {TapEvent} from '../tap/tap-hub.js'

export interface LatestRecord {
  key: string
  /** Unix time in ms it arrived here. */
  at: number
  record: Record<string, unknown>
}

export class LatestRecords {
  private readonly byKey = new Map<string, LatestRecord>()
  /** Records the tap dropped for this client because it read slower than they came. */
  dropped = 0

  constructor(
    private readonly maxKeys = 100,
    private readonly now: () => number = Date.now,
  ) {}

  add(event: TapEvent): void {
    const key = event.key ?? '(no key)'
    this.byKey.delete(key)
    this.byKey.set(key, {key, at: this.now(), record: event.record})
    if (this.byKey.size > this.maxKeys) this.byKey.delete(this.byKey.keys().next().value as string)
    if (event.dropped !== undefined) this.dropped = event.dropped
  }

  /** Every key's latest record, by key. */
  list(): LatestRecord[] {
    return [...this.byKey.values()].sort((a, b) => a.key.localeCompare(b.key))
  }
}

/** `price_usd=43000.1 volume=12 symbol=BTC …`: numbers first (what changes), then the rest, cut to `width`. */
export function recordSummary(record: Record<string, unknown>, width: number): string {
  const entries = Object.entries(record)
  const numbers = entries.filter(([, v]) => typeof v === 'number')
  const others = entries.filter(([, v]) => typeof v !== 'number' && v !== null && typeof v !== 'object')
  const text = [...numbers, ...others].map(([k, v]) => `${k}=${String(v)}`).join(' ')
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text
}
