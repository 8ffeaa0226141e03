/**
 * Maps the JSON an API answers (http) or a feed sends (websocket) to records without code: find the items
 * (`records` path), keep those `filter` accepts, compute each field with an expression, and make `timestamp` an
 * ISO event time. Bad items are counted and warned about once per kind; they never stop the source.
 */
import {
  compileConfigExpression,
  type CompiledExpression,
  type EtlRecord,
  isoTime,
  type PluginContext,
  truthy,
} from '../../../sdk/index.js'
import {flattenItem} from './flatten.js'
import {itemsAt, parseJsonPath, type JsonPath} from './json-path.js'
import type {MappingConfig, TimestampUnit} from './mapping-schema.js'

const UNIT_MS: Record<TimestampUnit, number> = {s: 1000, ms: 1, us: 0.001, ns: 0.000001}

export interface MappedBody {
  records: EtlRecord[]
  /** False when the records path led nowhere (an ack or error message rather than data). */
  found: boolean
}

export class ItemMapper {
  private readonly path: JsonPath
  private readonly fields: [string, CompiledExpression][]
  private readonly filter?: CompiledExpression
  private readonly unitMs: number
  private readonly warned = new Set<string>()

  constructor(
    private readonly plugin: string,
    config: MappingConfig,
    private readonly context: Pick<PluginContext, 'count' | 'logger'>,
  ) {
    this.path = parseJsonPath(config.records ?? '$')
    this.fields = Object.entries(config.fields).map(([name, text]) => [
      name,
      compileConfigExpression(plugin, `fields.${name}`, text),
    ])
    if (config.filter) this.filter = compileConfigExpression(plugin, 'filter', config.filter)
    this.unitMs = UNIT_MS[config.timestampUnit ?? 'ms']
  }

  /** The records of one answer or message; `receivedAt` (epoch ms) stamps records whose fields give no timestamp. */
  map(body: unknown, receivedAt: number): MappedBody {
    const {items, found} = itemsAt(body, this.path)
    const records: EtlRecord[] = []
    for (const item of items) {
      const flat = flattenItem(item)
      if (this.filter && !truthy(this.filter(flat))) {
        this.context.count('filtered_out')
        continue
      }
      const record = this.mapItem(flat, receivedAt)
      if (record) records.push(record)
    }
    return {records, found}
  }

  private mapItem(flat: EtlRecord, receivedAt: number): EtlRecord | undefined {
    const record: EtlRecord = {}
    for (const [name, evaluate] of this.fields) record[name] = evaluate(flat)
    if (!Object.hasOwn(record, 'timestamp')) {
      record.timestamp = isoTime(receivedAt)
      return record
    }
    const ms = this.eventTime(record.timestamp)
    if (ms === undefined) {
      this.context.count('rejected_invalid_timestamp')
      this.warnOnce('timestamp', `${this.plugin}: an item's timestamp is not a time; items like it are left out`, {
        value: JSON.stringify(record.timestamp) ?? String(record.timestamp),
      })
      return undefined
    }
    record.timestamp = isoTime(ms)
    return record
  }

  /** Epoch ms of a mapped timestamp: a number (or numeric text) in `timestampUnit`, or ISO 8601 text. */
  private eventTime(value: unknown): number | undefined {
    const numeric = typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value
    const ms = typeof numeric === 'number' ? Math.round(numeric * this.unitMs) : parseIso(numeric)
    return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined
  }

  private warnOnce(kind: string, message: string, fields: Record<string, unknown>): void {
    if (this.warned.has(kind)) return
    this.warned.add(kind)
    this.context.logger.warn(message, fields)
  }
}

function parseIso(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\d/.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}
