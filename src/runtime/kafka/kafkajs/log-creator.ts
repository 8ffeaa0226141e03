/** kafkajs' log lines, at the level they deserve in etl's log. */
import {logLevel as KafkaLogLevel, type LogEntry, type logCreator} from 'kafkajs'
import type {Logger} from '../../logger.js'
import {TRANSIENT_WORDING} from './errors.js'

// Said at WARN by kafkajs but expected: a transactional producer gives up after a few retries on purpose (a failed
// transaction is aborted and retried whole), and a producer fenced by its successor reports what it just learned.
const EXPECTED = /limiting retries for the idempotent producer/i

/**
 * Errors kafkajs logs at ERROR while it retries on its own only matter if the retries run out, and then the failing
 * call rejects and etl reports it. At start-up a fresh broker says such things for a second or two, and every member
 * of a group hears "rebalancing" when another process stage joins or leaves it: those go to debug.
 */
export function logCreatorFor(logger: Logger): logCreator {
  return () =>
    ({level, log}: LogEntry) => {
      const {message, error, ...rest} = log as {message: string; error?: string; [key: string]: unknown}
      const text = error ? `${message}: ${error}` : message
      const fields = {broker: rest.broker as string | undefined, groupId: rest.groupId as string | undefined}
      if (EXPECTED.test(text)) logger.debug(text, fields)
      else if (level <= KafkaLogLevel.ERROR && !TRANSIENT_WORDING.test(text)) logger.warn(text, fields)
      else if (level <= KafkaLogLevel.WARN && !TRANSIENT_WORDING.test(text)) logger.info(text, fields)
      else logger.debug(text, fields)
    }
}
