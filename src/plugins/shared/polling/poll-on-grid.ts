/**
 * The polling loop of sources that ask an API at an interval (coingecko, http): polls sit on a fixed grid from the
 * first one, so the cadence does not drift by each poll's own duration, and ticks a slow poll overran are skipped
 * (counted as `poll_ticks_skipped`), not fired in a burst that would only repeat the same answer and spend the
 * API's rate limit.
 */
import type {PluginContext} from '../../../sdk/index.js'

/** Runs `poll` every `intervalMs` on the context's clock until `signal` aborts. */
export async function pollOnGrid(
  poll: () => Promise<void>,
  intervalMs: number,
  context: Pick<PluginContext, 'clock' | 'count' | 'logger'>,
  signal: AbortSignal,
): Promise<void> {
  const {clock, count, logger} = context
  const start = clock.now()
  let tick = 0
  while (!signal.aborted) {
    await poll()
    if (signal.aborted) break
    const due = Math.floor((clock.now() - start) / intervalMs) + 1
    if (due > tick + 1) {
      count('poll_ticks_skipped', due - tick - 1)
      logger.debug(`poll overran ${due - tick - 1} tick(s); skipping them`)
    }
    tick = due
    await clock.sleep(start + tick * intervalMs - clock.now(), signal)
  }
}
