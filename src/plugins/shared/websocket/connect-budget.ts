/**
 * A cap on connection attempts per sliding minute. Exchanges count connection attempts per IP (Binance: 300 per
 * 5 minutes) and ban repeat offenders, so a socket that keeps failing at once (a refused handshake, a server that
 * closes on open) must slow down even when its backoff was reset by a short-lived success.
 */
import {sleep} from '../../../sdk/index.js'

const WINDOW_MS = 60_000

export class ConnectBudget {
  private readonly attempts: number[] = []

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long the next attempt must wait so that at most `perMinute` attempts fall in any 60 s (0: none). */
  waitMs(): number {
    const now = this.now()
    while (this.attempts.length > 0 && this.attempts[0] <= now - WINDOW_MS) this.attempts.shift()
    if (this.perMinute <= 0 || this.attempts.length < this.perMinute) return 0
    return this.attempts[0] + WINDOW_MS - now
  }

  /** Waits for a free slot (or the signal), then records the attempt; returns how long it waited. */
  async take(signal: AbortSignal): Promise<number> {
    const wait = this.waitMs()
    if (wait > 0) await sleep(wait, signal)
    this.attempts.push(this.now())
    return wait
  }
}
