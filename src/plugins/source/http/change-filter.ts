/**
 * "Emit only changed" for polled APIs, which mostly answer what they answered last time: per key, the fields (the
 * timestamp aside, which a poll often stamps afresh) of the last record emitted. Part of the source's checkpoint,
 * so a restart does not re-emit what is already in the topic.
 */
import {createHash} from 'node:crypto'
import {compileConfigExpression, type CompiledExpression, type EtlRecord} from '../../../sdk/index.js'

/** A key whose value is null (the field is missing) still dedupes, under this name. */
const NULL_KEY = '\u0000null'

export class ChangeFilter {
  private readonly last = new Map<string, string>()
  private readonly keyOf: CompiledExpression

  constructor(key: string) {
    this.keyOf = compileConfigExpression('http', 'key', key)
  }

  /** The records that differ from the last emitted of their key (in order; a repeat within the batch drops too). */
  changed(records: EtlRecord[]): EtlRecord[] {
    const out: EtlRecord[] = []
    for (const record of records) {
      const key = this.keyText(record)
      const print = fingerprint(record)
      if (this.last.get(key) === print) continue
      this.last.set(key, print)
      out.push(record)
    }
    return out
  }

  snapshot(): Record<string, string> {
    return Object.fromEntries(this.last)
  }

  restore(last: Record<string, unknown>): void {
    for (const [key, print] of Object.entries(last)) if (typeof print === 'string') this.last.set(key, print)
  }

  private keyText(record: EtlRecord): string {
    const value = this.keyOf(record)
    return value === null ? NULL_KEY : String(value)
  }
}

/** A short hash of the fields: the checkpoint holds one per key, and records can be wide. */
function fingerprint(record: EtlRecord): string {
  const {timestamp: _timestamp, ...fields} = record
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 22)
}
