/** One backoff policy for everything that retries (HTTP polls, broker start-up waits), so they all behave alike. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialDelayMs: number
  /** Upper bound for any single delay. */
  maxDelayMs: number
  /** Growth factor per attempt. */
  multiplier?: number
  /** 0..1: the fraction of each delay that is randomised, so many clients do not retry in lock-step. */
  jitter?: number
}

/** Delay before retry number `attempt` (1-based): initial × multiplier^(attempt-1), capped, with jitter. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const multiplier = policy.multiplier ?? 2
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * multiplier ** Math.max(0, attempt - 1))
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.2))
  return Math.round(base * (1 - jitter) + base * jitter * random())
}

/** Sleeps, waking early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}
