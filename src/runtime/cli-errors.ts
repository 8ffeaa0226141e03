/**
 * How a command ends on an error: a message the user can act on, the error's code, and no stack trace — unless
 * ETL_DEBUG=1 asks for one. Every line passes through the secret redactor.
 */
import {isEtlError, messageOf} from './errors.js'
import {redact} from './logger.js'

export interface RenderedError {
  text: string
  exitCode: number
}

export function renderError(error: unknown): RenderedError {
  const debug = process.env.ETL_DEBUG === '1'
  if (isEtlError(error)) {
    const cause = error.cause && debug ? `\ncaused by: ${(error.cause as Error).stack ?? String(error.cause)}` : ''
    const text = error.code === 'ETL_CONFIG_INVALID' ? error.message : `${error.code}: ${error.message}`
    return {text: redact(text + cause), exitCode: error.exitCode}
  }
  const detail = debug && error instanceof Error ? `\n${error.stack}` : ''
  return {text: redact(`ETL_INTERNAL: ${messageOf(error)}${detail}`), exitCode: 1}
}

/** A usage error the command finds itself rather than oclif's parser: exit 2 like oclif's, but on one line. */
export function renderUsageError(message: string): RenderedError {
  return {text: redact(`Error: ${message}`), exitCode: 2}
}
