/**
 * Every error `etl` raises on purpose has a stable code from this one table, so users can search for it, scripts can
 * match on it and docs/ERRORS.md can describe it (a test keeps the two in step, both ways).
 */
export const ERROR_CODES = {
  ETL_CONFIG_INVALID: 'The pipeline file has one or more problems (each is listed with file:line:col).',
  ETL_CONFIG_READ: 'The pipeline file could not be read.',
  ETL_CONFIG_LIMIT:
    'The pipeline file breaks a safety limit: size, line length, nesting depth, aliases ' +
    'or the length of a ${VAR} expansion.',
  ETL_CONFIG_ENCODING:
    'The pipeline file is not UTF-8 text (invalid bytes, NUL or other control characters: a binary file?).',
  ETL_CONFIG_ENV_MISSING:
    'A ${VAR} in the pipeline file names an environment variable that is not set and has no default.',
  ETL_PLUGIN_NOT_FOUND:
    'A pipeline names a plugin type that is neither built in nor provided by a plugin listed under `plugins:`.',
  ETL_PLUGIN_LOAD: 'A third-party plugin module could not be imported or does not export a valid plugin definition.',
  ETL_PLUGIN_API: 'A plugin targets a plugin API version (`apiVersion`) that this etl does not provide.',
  ETL_PLUGIN_DUPLICATE: 'Two plugins were registered with the same kind and name.',
  ETL_PLUGIN_FAILED: 'A plugin threw while running; the message names the plugin, its kind and the stage.',
  ETL_KAFKA_UNREACHABLE: 'No Kafka broker answered at the configured addresses.',
  ETL_KAFKA: 'A Kafka operation failed (produce, consume, commit or topic administration).',
  ETL_BROKER_SETUP: 'The local Kafka broker could not be installed, formatted or started.',
  ETL_POSTGRES_SETUP: 'The local PostgreSQL server could not be found, created (initdb) or started.',
  ETL_SOURCE_HTTP: 'A source got an HTTP error or an unusable response from its API.',
  ETL_SOURCE_PERMANENT: 'A source got an error that retrying cannot fix (bad API key, unknown endpoint).',
  ETL_SOURCE_FENCED:
    "Another process took over this pipeline's source (same transactional id); " +
    'this one stopped so no record is written twice.',
  ETL_SOURCE_WORKER:
    'The worker thread of a source (`worker: true`, or `auto` for a source that runs flat out) ended unexpectedly ' +
    '(it crashed or ran out of memory).',
  ETL_SINK_PERMANENT: 'A sink got an error that retrying cannot fix; a plugin throws it to skip its retry policy.',
  ETL_SINK_LOCKED: 'Another live process is writing the same sink file; a file sink has one writer at a time.',
  ETL_SINK_DISK_FULL:
    "A file sink ran out of disk space (or quota) while writing; retried by the sink's retry policy, nothing " +
    'committed ahead of the data.',
  ETL_SINK_ACCESS: 'A database sink was refused: wrong user or password, or no privilege on the table or its schema.',
  ETL_SINK_SCHEMA: "A database sink's table does not fit its config: missing, a column missing or of another type.",
  ETL_SINK_CONFLICT:
    "Another writer moved a database sink's recorded positions to a point inside this process's batch; stopped " +
    'rather than write rows twice.',
  ETL_SHUTDOWN_TIMEOUT: 'A clean stop (drain, flush sinks, commit) did not finish within the shutdown grace period.',
  ETL_RECORD_INVALID: 'A record could not be decoded or does not have the fields a stage needs.',
  ETL_RECORD_LATE: 'A record arrived after the watermark had closed every window it belongs to.',
  ETL_VALUE_NOT_FINITE: 'A field a stage computes with is missing, not a number, NaN or Infinity.',
  ETL_CHART_INVALID: "A chart's Vega-Lite spec file is missing, not JSON, or not a valid Vega-Lite spec.",
  ETL_CHART_RENDER: 'A chart could not be rendered; the pipeline keeps running and tries again at the next interval.',
  ETL_METRICS_LISTEN: 'The metrics endpoint (`etl run --metrics`) could not listen on its host and port.',
  ETL_METRICS_UNREACHABLE:
    "`etl top` or `etl tap` got no answer from a running pipeline's metrics endpoint (not running, other port).",
  ETL_TAP_REFUSED:
    '`etl tap` asked for a step or sink the pipeline does not have, or the endpoint serves no tap (no process ' +
    'stage there, or it binds to a non-loopback address).',
  ETL_TEST_FAILED:
    'One or more pipeline tests (`etl test`) did not produce what they expected; each difference is listed.',
  ETL_FILE_EXISTS:
    'A scaffold (`etl init`, `etl plugin new`) would overwrite a file that already exists; nothing was written.',
  ETL_FILE_WRITE:
    'A scaffold (`etl init`, `etl plugin new`) could not write its files (permissions, a full disk); ' +
    'what it wrote was removed.',
  ETL_NODE_VERSION: 'The Node.js running etl is too old.',
  ETL_INTERNAL: 'A bug in etl itself; please report it with the log.',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export interface EtlErrorOptions {
  cause?: unknown
  /** Extra machine-readable facts (never secrets). */
  details?: Record<string, unknown>
  /** Process exit code to use when this error ends the CLI. */
  exitCode?: number
}

export class EtlError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>
  readonly exitCode: number

  constructor(code: ErrorCode, message: string, options: EtlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'EtlError'
    this.code = code
    this.details = options.details
    this.exitCode = options.exitCode ?? 1
  }
}

/**
 * True for an EtlError, also one made by another copy of etl's SDK (a plugin package that installed its own): the
 * check is by shape (name and a known code), not by class identity.
 */
export function isEtlError(error: unknown): error is EtlError {
  if (error instanceof EtlError) return true
  if (!(error instanceof Error) || error.name !== 'EtlError') return false
  const code = (error as {code?: unknown}).code
  return (
    typeof code === 'string' &&
    Object.hasOwn(ERROR_CODES, code) &&
    typeof (error as {exitCode?: unknown}).exitCode === 'number'
  )
}

/** The message of anything thrown, for logs; never the stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

export type StageName = 'source' | 'process' | 'chart' | 'validate'

/**
 * Wraps a plugin's failure so the user sees which plugin, of which kind, in which stage failed, while the original
 * error (and its code, when it has one) stays reachable through `cause`.
 */
export function pluginFailure(
  plugin: {name: string; kind: string},
  stage: StageName,
  action: string,
  error: unknown,
): EtlError {
  if (error instanceof EtlError && error.code === 'ETL_PLUGIN_FAILED') return error
  const inner = error instanceof EtlError ? `${error.code}: ${error.message}` : messageOf(error)
  return new EtlError(
    'ETL_PLUGIN_FAILED',
    `${plugin.kind} plugin "${plugin.name}" failed in ${action} (stage ${stage}): ${inner}`,
    {cause: error, details: {plugin: plugin.name, kind: plugin.kind, stage, action}},
  )
}
