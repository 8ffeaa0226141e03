/**
 * What /readyz answers: ready when Kafka answers (kafka-probe.ts), and, where this process runs the process stage,
 * its consumer has been given its partitions and every sink is open. It hears of assignments and sinks through the
 * levels the process stage reports on the run's Counters, so the stages know nothing of HTTP. The body names each
 * check and why it fails, for a person or an orchestrator reading it.
 */
import type {CountersObserver} from '../counters.js'
import type {KafkaProbeState} from './kafka-probe.js'

export interface ReadinessCheck {
  ok: boolean
  reason?: string
  [detail: string]: unknown
}

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, ReadinessCheck>
}

export interface ReadinessInputs {
  kafka: () => KafkaProbeState
  /** Sinks the process stage creates; undefined when this process does not run the process stage. */
  sinks?: number
}

export class Readiness implements CountersObserver {
  private partitions: number | undefined
  private sinksOpen = 0

  constructor(private readonly inputs: ReadinessInputs) {}

  counted(): void {}

  level(scope: string, event: string, value: number): void {
    if (scope !== 'process') return
    if (event === 'partitions_assigned') this.partitions = value
    if (event === 'sinks_open') this.sinksOpen = value
  }

  report(): ReadinessReport {
    const checks: Record<string, ReadinessCheck> = {kafka: this.kafkaCheck()}
    if (this.inputs.sinks !== undefined) {
      checks.assignment =
        this.partitions === undefined
          ? {ok: false, reason: 'the consumer has not joined its group and been given partitions yet'}
          : {ok: true, partitions: this.partitions}
      checks.sinks =
        this.sinksOpen >= this.inputs.sinks
          ? {ok: true, open: this.sinksOpen}
          : {ok: false, reason: `${this.sinksOpen} of ${this.inputs.sinks} sink(s) open`, open: this.sinksOpen}
    }
    return {ready: Object.values(checks).every((check) => check.ok), checks}
  }

  private kafkaCheck(): ReadinessCheck {
    const state = this.inputs.kafka()
    const checkedAt = new Date(state.checkedAt).toISOString()
    if (state.reachable) return {ok: true, checkedAt}
    return {ok: false, reason: `Kafka does not answer: ${state.error ?? 'no answer'}`, checkedAt}
  }
}
