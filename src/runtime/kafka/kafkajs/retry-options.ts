import type {RetryOptions} from 'kafkajs'
import type {ClientRetry} from '../core/client-settings.js'

/** A core retry budget in kafkajs' option names (kafkajs grows each delay ×2, 20 % jitter, as backoffDelay does). */
export function kafkajsRetry(policy: ClientRetry): RetryOptions {
  return {initialRetryTime: policy.initialDelayMs, maxRetryTime: policy.maxDelayMs, retries: policy.retries}
}
