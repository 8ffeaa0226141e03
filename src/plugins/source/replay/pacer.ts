/**
 * Paces a replay at `speed` × real time. Due times are measured from one fixed anchor (the first record's wall and
 * event time), so time spent emitting never accumulates as drift.
 */
export class Pacer {
  private anchor: {wall: number; event: number} | undefined

  constructor(private readonly speed: number) {}

  /** Milliseconds until the record of event time `time` is due (≤ 0: it is due now). */
  waitFor(time: number): number {
    const anchor = (this.anchor ??= {wall: performance.now(), event: time})
    return anchor.wall + (time - anchor.event) / this.speed - performance.now()
  }
}
