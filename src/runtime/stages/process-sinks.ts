/**
 * The process stage's sinks: each gets the records its `where:` routes to it, except what it already holds (sinks
 * with positions, see sink-positions.ts); flushed before a batch's offsets are committed, closed at shutdown.
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import type {Logger} from '../logger.js'
import {scopeOf} from '../plugin-context.js'
import type {EtlRecord, SinkInstance, SinkOrigin} from '../plugin-types.js'
import type {TapHub} from '../tap/tap-hub.js'
import {callPlugin} from './call-plugin.js'
import {EventLatency} from './event-latency.js'
import type {Running} from './partition-chains.js'
import {routedTo} from './routing.js'
import type {SinkPositions} from './sink-positions.js'

export interface ProcessSinksInputs {
  counters: Counters
  logger: Logger
  /** Records after the sinks wrote them (the charts fed by the live stream). */
  onWritten?: (records: EtlRecord[]) => void
  /** `etl tap --sink`: sees what each sink is given while a client watches. */
  tap?: TapHub
  /** `metrics.eventTime`: the fields each written record is timed from (event-latency.ts). */
  pipeline?: Pick<PipelineConfig, 'metrics'>
}

export class ProcessSinks {
  private readonly latency: EventLatency

  constructor(
    private readonly sinks: Running<SinkInstance>[],
    private readonly positions: SinkPositions,
    private readonly inputs: ProcessSinksInputs,
  ) {
    this.latency = new EventLatency(inputs.pipeline?.metrics.eventTime ?? [], inputs.counters)
  }

  /** Hands records to every sink (by its where:) that does not hold them yet; `origin`: the input they come from. */
  async write(records: EtlRecord[], origin?: SinkOrigin): Promise<void> {
    let anyWrote = false
    for (const [index, {stage, instance}] of this.sinks.entries()) {
      const routed = routedTo(stage, records)
      if (origin && this.positions.alreadyWritten(index, origin, routed.length)) continue
      anyWrote = true
      if (this.inputs.tap?.active && routed.length > 0) this.inputs.tap.sink(stage.label, routed, origin?.partition)
      // A sink with positions hears of every input, so its position moves on even when nothing is routed to it.
      if (routed.length > 0 || (origin && this.positions.isExactlyOnce(index))) {
        await callPlugin(stage, 'process', 'write', () => instance.write(routed, origin))
      }
      if (routed.length === 0) continue
      this.inputs.counters.add(scopeOf(stage), 'written', routed.length)
      this.latency.written(scopeOf(stage), routed)
    }
    if (records.length > 0 && anyWrote) this.inputs.onWritten?.(records)
  }

  async flush(): Promise<void> {
    for (const {stage, instance} of this.sinks) {
      const started = performance.now()
      await callPlugin(stage, 'process', 'flush', () => instance.flush())
      this.inputs.counters.timed(scopeOf(stage), 'flush', (performance.now() - started) / 1000)
    }
  }

  /** Closes every sink; a failure is logged and the others still close. */
  async close(): Promise<void> {
    for (const {stage, instance} of this.sinks) {
      await callPlugin(stage, 'process', 'close', () => instance.close()).catch((error: Error) =>
        this.inputs.logger.error(error.message),
      )
    }
  }
}
