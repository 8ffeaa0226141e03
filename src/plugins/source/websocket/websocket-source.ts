/**
 * A websocket source instance: the shared ReconnectingSocket (reconnect, resubscribe, stall watchdog, backoff) feeding
 * the shared JSON mapping, batched into emits. Frames that are not JSON are counted by the socket (`ws_malformed`);
 * messages without items at the records path (acks, errors, pongs) are counted as `ignored_message`.
 */
import type {PluginContext, SourceEmitter, SourceInstance} from '../../../sdk/index.js'
import {EmitBatcher} from '../../shared/batching/emit-batcher.js'
import {ItemMapper} from '../../shared/json-mapping/item-mapper.js'
import {ReconnectingSocket} from '../../shared/websocket/index.js'
import type {WebSocketSettings} from './websocket-config.js'

const MAX_BATCH = 1000
/** Ignored messages logged in full before the count alone has to do. */
const IGNORED_LOGGED = 5

export class WebSocketSource implements SourceInstance {
  private readonly mapper: ItemMapper
  private ignored = 0

  constructor(
    private readonly s: WebSocketSettings,
    private readonly context: PluginContext,
  ) {
    this.mapper = new ItemMapper('websocket', s.mapping, context)
  }

  async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
    const {s, context} = this
    const signal = AbortSignal.any([runSignal, context.signal])
    const batcher = new EmitBatcher({emit, maxRecords: MAX_BATCH, maxDelayMs: s.flushIntervalMs})
    const socket = new ReconnectingSocket({
      describe: 'websocket feed',
      url: s.url,
      context,
      signal,
      subscribe: () => s.subscribe,
      stallTimeoutMs: s.stallTimeoutMs,
      pingIntervalMs: s.pingIntervalMs,
      onMessage: (message) => batcher.add(this.recordsOf(message)),
      onClose: () => batcher.flush(),
    })
    batcher.start()
    try {
      await socket.run()
    } finally {
      await batcher.stop()
    }
  }

  private recordsOf(message: unknown) {
    const {records, found} = this.mapper.map(message, this.context.clock.now())
    if (!found) {
      this.context.count('ignored_message')
      if (++this.ignored <= IGNORED_LOGGED) {
        const text = JSON.stringify(message) ?? String(message)
        this.context.logger.debug('websocket: a message with nothing at the records path', {
          message: text.slice(0, 200),
        })
      }
    }
    return records
  }
}
