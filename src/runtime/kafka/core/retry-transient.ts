/** Retrying the calls a client library does not retry itself (or not long enough for a broker that just started). */
import {backoffDelay, sleep} from '../../retry.js'
import {TRANSIENT_RETRY} from './client-settings.js'

/** Calls `call` until it succeeds, fails with an error `isTransient` rejects, or `attempts` calls failed. */
export async function retryTransient<T>(
  call: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  attempts: number = TRANSIENT_RETRY.attempts,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!isTransient(error) || attempt >= attempts) throw error
      await sleep(backoffDelay(attempt, TRANSIENT_RETRY))
    }
  }
}
