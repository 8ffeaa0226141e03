/**
 * What crosses the thread boundary of `source.worker: true` besides plain data. A structured clone keeps an Error's
 * message and stack but drops EtlError's class and its code, exitCode and details, so errors are sent as plain
 * objects and rebuilt on the other side: the CLI then reports the same code, message and exit code as without a worker.
 */
import {EtlError, isEtlError, messageOf, type ErrorCode} from '../errors.js'

export interface CounterRow {
  scope: string
  event: string
  count: number
}

export interface WireError {
  message: string
  stack?: string
  /** Set for an EtlError (a ConfigError too): rebuilt as an EtlError with these. */
  etl?: {code: ErrorCode; exitCode: number; details?: Record<string, unknown>}
  cause?: WireError
}

const MAX_CAUSE_DEPTH = 5

export function toWire(error: unknown, depth = 0): WireError {
  const wire: WireError = {message: messageOf(error), stack: error instanceof Error ? error.stack : undefined}
  if (isEtlError(error)) {
    // Details are plain facts (never functions), but one that cannot be cloned must not turn the failure into another.
    let details: Record<string, unknown> | undefined
    try {
      details = error.details === undefined ? undefined : structuredClone(error.details)
    } catch {
      details = undefined
    }
    wire.etl = {code: error.code, exitCode: error.exitCode, details}
  }
  const cause = error instanceof Error ? error.cause : undefined
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH) wire.cause = toWire(cause, depth + 1)
  return wire
}

export function fromWire(wire: WireError): Error {
  const cause = wire.cause === undefined ? undefined : fromWire(wire.cause)
  const error = wire.etl
    ? new EtlError(wire.etl.code, wire.message, {exitCode: wire.etl.exitCode, details: wire.etl.details, cause})
    : new Error(wire.message, cause === undefined ? undefined : {cause})
  // The stack of the thread where it was thrown: what ETL_DEBUG=1 prints.
  if (wire.stack) error.stack = wire.stack
  return error
}
