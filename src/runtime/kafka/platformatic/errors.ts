/** Reading @platformatic/kafka's errors for the core's classification (core/error-codes.ts). */
import {messageOf} from '../../errors.js'
import {errorsIn} from '../core/error-chain.js'
import {classifyError, type KafkaErrorClass, type LibraryErrors} from '../core/error-codes.js'

/**
 * A readable message: the library's top message ("produce failed 9 times.") says little, the innermost one says why.
 * The last distinct inner messages are appended.
 */
export function describeKafkaError(error: unknown): string {
  const messages: string[] = []
  for (const e of errorsIn(error)) {
    const apiId = typeof e.apiId === 'string' ? e.apiId : undefined
    const server = typeof e.serverErrorMessage === 'string' && e.serverErrorMessage ? ` (${e.serverErrorMessage})` : ''
    const text = apiId ? `${apiId}${server}` : e.message
    if (text && !messages.includes(text)) messages.push(text)
  }
  if (messages.length === 0) return messageOf(error)
  const [first, ...rest] = messages
  return rest.length === 0 ? first : `${first} ${rest.slice(-3).join('; ')}`
}

export const platformaticErrors: LibraryErrors = {
  /** A ProtocolError carries the broker's code as `apiCode`; MultipleErrors and ResponseErrors nest them. */
  codesOf(error) {
    const codes = new Set<number>()
    for (const e of errorsIn(error)) if (typeof e.apiCode === 'number') codes.add(e.apiCode)
    return codes
  },
  /** A NetworkError: the connection failed or was lost, which has no protocol code. */
  hintsOf(error) {
    return {transient: [...errorsIn(error)].some((e) => e.code === 'PLT_KFK_NETWORK')}
  },
  describe: describeKafkaError,
}

export function classifyPlatformaticError(error: unknown): KafkaErrorClass {
  return classifyError(platformaticErrors, error)
}

export const isTransient = (error: unknown): boolean => classifyPlatformaticError(error).transient
