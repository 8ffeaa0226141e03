/**
 * Record fields a csv sink does not write because they are not columns: each name is counted and logged once, so a
 * stray field is visible without a log line per record.
 */
import type {EtlRecord, PluginContext} from '../../../sdk/index.js'

export class IgnoredFields {
  private readonly seen = new Set<string>()

  constructor(
    private readonly columns: ReadonlySet<string>,
    private readonly context: Pick<PluginContext, 'count' | 'logger'>,
    private readonly path: string,
  ) {}

  /** Counts and logs the record's fields that are not columns and were not seen before. */
  note(record: EtlRecord): void {
    // for…in rather than Object.keys: no array per record on this per-record path.
    for (const key in record) {
      if (this.columns.has(key) || this.seen.has(key)) continue
      this.seen.add(key)
      this.context.count('ignored_field')
      this.context.logger.debug(`field "${key}" is not a column; ignoring it`, {path: this.path})
    }
  }
}
