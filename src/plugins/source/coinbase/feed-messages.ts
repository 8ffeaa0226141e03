/**
 * Counting and logging of what the Coinbase feed sends that is not a usable trade: malformed messages, unknown
 * types (the server may add new ones: ignored, as its docs ask), trades for products not subscribed, bad fields.
 * Each is counted every time and logged the first times, then every 100th, so a flood cannot flood the log.
 */
import type {PluginContext} from '../../../sdk/index.js'

const LOGGED_IN_FULL = 10

export class FeedProblems {
  private readonly seen = new Map<string, number>()

  constructor(private readonly context: Pick<PluginContext, 'count' | 'logger'>) {}

  /** Counts `event` and logs `message` for the first ones of `kind`, then every 100th. */
  report(event: string, kind: string, message: string, fields: Record<string, unknown> = {}): void {
    this.context.count(event)
    const n = (this.seen.get(kind) ?? 0) + 1
    this.seen.set(kind, n)
    if (n <= LOGGED_IN_FULL || n % 100 === 0) this.context.logger.warn(`coinbase: ${message} (${n} so far)`, fields)
  }
}

/** A sample of a message for a log line: JSON, cut at 200 characters. */
export function sample(message: unknown): string {
  const text = JSON.stringify(message) ?? String(message)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}
