/** The EtlErrors a MessageBus rejects with, worded the same whichever client failed. */
import {EtlError} from '../../errors.js'
import {sourceFencedError} from '../message-bus.js'
import {classifyError, type LibraryErrors} from './error-codes.js'

export function kafkaError(library: LibraryErrors, brokers: string[], what: string, error: unknown): EtlError {
  return new EtlError('ETL_KAFKA', `${what} failed at ${brokers.join(',')}: ${library.describe(error)}`, {
    cause: error,
  })
}

export function unreachableError(library: LibraryErrors, brokers: string[], error: unknown): EtlError {
  return new EtlError(
    'ETL_KAFKA_UNREACHABLE',
    `no Kafka broker answered at ${brokers.join(',')} (${library.describe(error)}). ` +
      'Start one with `etl kafka start`, or set kafka.brokers / KAFKA_BROKERS',
    {cause: error},
  )
}

/** What a transactional producer rejects with: ETL_SOURCE_FENCED once a newer producer has its id, else ETL_KAFKA. */
export function transactionalFailure(library: LibraryErrors, brokers: string[], transactionalId: string) {
  return (what: string, error: unknown): EtlError =>
    classifyError(library, error).fenced
      ? sourceFencedError(transactionalId, error)
      : kafkaError(library, brokers, what, error)
}
