/**
 * An http source instance: polls one URL on a fixed grid with conditional requests, maps each answer to records and
 * emits what changed, each batch with the checkpoint (http-checkpoint.ts) in the same Kafka transaction.
 */
import {pollOnGrid} from '../../shared/polling/poll-on-grid.js'
import {
  fetchJsonResponse,
  formatDuration,
  type JsonResponse,
  type PluginContext,
  safeUrl,
  type SourceEmitter,
  type SourceInstance,
} from '../../../sdk/index.js'
import {ItemMapper} from '../../shared/json-mapping/item-mapper.js'
import {ChangeFilter} from './change-filter.js'
import {checkpointProblem, configFingerprint, type HttpCheckpoint} from './http-checkpoint.js'
import type {HttpSettings} from './http-config.js'

export class HttpSource implements SourceInstance {
  private readonly mapper: ItemMapper
  private readonly changes?: ChangeFilter
  private readonly config: string
  private etag?: string
  private lastModified?: string

  constructor(
    private readonly s: HttpSettings,
    private readonly context: PluginContext,
  ) {
    this.mapper = new ItemMapper('http', s.mapping, context)
    if (s.key) this.changes = new ChangeFilter(s.key)
    this.config = configFingerprint(s)
  }

  restore(state: unknown): void {
    const problem = checkpointProblem(state, this.config)
    if (problem) {
      this.context.logger.warn(`ignoring the saved checkpoint: ${problem}; the first answer is emitted in full`)
      return
    }
    const c = state as HttpCheckpoint
    this.etag = c.etag
    this.lastModified = c.lastModified
    this.changes?.restore(c.last ?? {})
    this.context.logger.info('resuming after the records already emitted', {etag: c.etag ?? 'none'})
  }

  async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([runSignal, this.context.signal])
    const {intervalMs} = this.s
    this.context.logger.info(`polling ${safeUrl(this.s.url)} every ${formatDuration(intervalMs)}`)
    await pollOnGrid(() => this.poll(emit, signal), intervalMs, this.context, signal)
  }

  private async poll(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const response = await fetchJsonResponse(this.context, this.s.url, {
      headers: this.requestHeaders(),
      timeoutMs: this.s.timeoutMs,
      signal,
      describe: `http source GET ${safeUrl(this.s.url)}`,
    })
    if (response === undefined) return // shutting down
    if (response.status === 304) {
      this.context.count('not_modified')
      return
    }
    this.remember(response)
    const {records: mapped, found} = this.mapper.map(response.body, this.context.clock.now())
    if (!found) {
      this.context.count('no_records_at_path')
      this.context.logger.warn(`the answer has nothing at records path "${this.s.mapping.records ?? '$'}"`)
    }
    const records = this.changes ? this.changes.changed(mapped) : mapped
    if (mapped.length > records.length) this.context.count('unchanged_skipped', mapped.length - records.length)
    if (records.length === 0) return
    // A batch already fetched is emitted even if shutdown began meanwhile: the runtime awaits run() before closing.
    await emit(records, this.checkpoint())
  }

  private requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = {...this.s.headers}
    if (!this.s.conditional) return headers
    if (this.etag) headers['if-none-match'] = this.etag
    if (this.lastModified) headers['if-modified-since'] = this.lastModified
    return headers
  }

  private remember(response: JsonResponse): void {
    if (!this.s.conditional) return
    this.etag = response.headers.etag
    this.lastModified = response.headers['last-modified']
  }

  private checkpoint(): HttpCheckpoint {
    const c: HttpCheckpoint = {v: 1, config: this.config}
    if (this.etag) c.etag = this.etag
    if (this.lastModified) c.lastModified = this.lastModified
    if (this.changes) c.last = this.changes.snapshot()
    return c
  }
}
