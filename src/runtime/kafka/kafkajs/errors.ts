/** Reading kafkajs' errors for the core's classification (core/error-codes.ts). */
import {messageOf} from '../../errors.js'
import {errorsIn, type ChainedError} from '../core/error-chain.js'
import {classifyError, REJOIN_CODES, type KafkaErrorClass, type LibraryErrors} from '../core/error-codes.js'

/**
 * How kafkajs words the core's transient answers, in its log lines and in the message a wrapper copies from the error
 * it wraps (KafkaJSNonRetriableError often keeps no `cause`, so the wording is all that is left of the code). A test
 * checks it matches kafkajs' own message for every code in TRANSIENT_CODES.
 */
export const TRANSIENT_WORDING = new RegExp(
  [
    'coordinator is loading',
    'coordinator is not available',
    'not the correct coordinator',
    'does not host this topic-partition',
    'no leader for this topic-partition',
    'not the leader for that topic-partition',
    'leader not available',
    'rebalance in progress',
    'group is rebalancing',
    'not coordinator',
    'another concurrent operation on the same transaction',
  ].join('|'),
  'i',
)

/** kafkajs 2.2 knows no PRODUCER_FENCED (90): it reports "Unknown error code 90", without the code. */
const UNKNOWN_CODE = /unknown error code (\d+)\b/i

const FENCED_WORDING = /producer.*fenced|fenced.*producer|newer producer/i

function codeOf(e: ChainedError): number | undefined {
  if (typeof e.code === 'number' && e.code >= 0) return e.code
  const unknown = UNKNOWN_CODE.exec(e.message ?? '')
  return unknown ? Number(unknown[1]) : undefined
}

export const kafkajsErrors: LibraryErrors = {
  codesOf(error) {
    const codes = new Set<number>()
    for (const e of errorsIn(error)) {
      const code = codeOf(e)
      if (code !== undefined) codes.add(code)
    }
    return codes
  },
  hintsOf(error) {
    const message = messageOf(error)
    return {
      // kafkajs' own flag: a lost connection or a timeout, which has no protocol code.
      transient: (error as {retriable?: boolean} | undefined)?.retriable === true || TRANSIENT_WORDING.test(message),
      fenced: [...errorsIn(error)].some((e) => FENCED_WORDING.test(e.message ?? '')),
      alreadyExists: /already exists/i.test(message),
    }
  },
  describe: messageOf,
}

export function classifyKafkajsError(error: unknown): KafkaErrorClass {
  return classifyError(kafkajsErrors, error)
}

export const isTransient = (error: unknown): boolean => classifyKafkajsError(error).transient

/**
 * consumer.commitOffsets wraps the broker's answer in a KafkaJSNonRetriableError, which crashes the consumer for good.
 * After a long broker outage the member's session has expired, and the first commit says UNKNOWN_MEMBER_ID: handing
 * kafkajs that inner error instead makes it rejoin the group (the uncommitted batch is then consumed again).
 */
export function rejoinable(error: unknown): unknown {
  for (const e of errorsIn(error)) {
    const code = codeOf(e)
    if (code !== undefined && REJOIN_CODES.has(code)) return e
  }
  return error
}
