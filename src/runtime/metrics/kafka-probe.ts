/**
 * Whether Kafka answers, for /readyz. A probe opens a connection of its own (MessageBus.checkConnection), so it runs
 * on a timer every few seconds, never per request: a readiness check polled every second by an orchestrator must not
 * become a connection storm on the brokers.
 */
import {messageOf} from '../errors.js'
import type {MessageBus} from '../kafka/message-bus.js'
import {withTimeout} from './with-timeout.js'

export interface KafkaProbeState {
  reachable: boolean
  /** Unix ms of the last finished probe. */
  checkedAt: number
  /** Why the last probe failed. */
  error?: string
}

export interface KafkaProbeOptions {
  everyMs?: number
  timeoutMs?: number
}

export class KafkaProbe {
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private current: KafkaProbeState
  private readonly everyMs: number
  private readonly timeoutMs: number

  /** Starts as reachable: the run checked the connection before it started anything. */
  constructor(
    private readonly bus: Pick<MessageBus, 'checkConnection'>,
    options: KafkaProbeOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 5000
    this.timeoutMs = options.timeoutMs ?? 2000
    this.current = {reachable: true, checkedAt: Date.now()}
  }

  get state(): KafkaProbeState {
    return this.current
  }

  start(): void {
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /** One probe now; the next is scheduled only after it finished, so probes never pile up. */
  async probe(): Promise<KafkaProbeState> {
    try {
      await withTimeout(this.bus.checkConnection(this.timeoutMs), this.timeoutMs + 500, 'Kafka')
      this.current = {reachable: true, checkedAt: Date.now()}
    } catch (error) {
      this.current = {reachable: false, checkedAt: Date.now(), error: messageOf(error)}
    }
    return this.current
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.probe().finally(() => this.schedule()), this.everyMs)
    this.timer.unref()
  }
}
