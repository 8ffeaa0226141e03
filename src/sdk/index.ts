/**
 * `etl/sdk` — everything a plugin needs, built-in or third-party. Plugins import from here only; what is not exported
 * here is internal to etl and may change in any release. The contract's version is PLUGIN_API_VERSION (semver: a new
 * major version of etl may raise it; a minor one only adds optional members).
 *
 *   import {definePlugin, EtlError, PLUGIN_API_VERSION} from 'etl/sdk'
 */

// The contract: definitions, lifecycles per kind, the context.
export {
  definePlugin,
  PLUGIN_API_VERSION,
  PLUGIN_KINDS,
  SUPPORTED_PLUGIN_API_VERSIONS,
  type AnyPluginDefinition,
  type ChartInstance,
  type ChartRender,
  type Clock,
  type ConfigIssue,
  type ConfigSchema,
  type EtlRecord,
  type InstanceByKind,
  type LiveChartSource,
  type LiveRowsListener,
  type PluginContext,
  type PluginDefinition,
  type PluginKind,
  type SeriesSummary,
  type SinkInstance,
  type SinkOrigin,
  type SourceEmitter,
  type SourceInstance,
  type TopicProducer,
  type TransformInstance,
  type ValidateContext,
} from '../runtime/plugin-types.js'

// Errors with stable codes (docs/ERRORS.md).
export {ERROR_CODES, EtlError, isEtlError, messageOf, type ErrorCode, type EtlErrorOptions} from '../runtime/errors.js'

// Durations as written in pipeline files ("30s", "1m", 500).
export {DURATION_PATTERN, durationSchema, formatDuration, parseDuration, type Duration} from '../runtime/duration.js'

// The retry policy (context.retry) and what applies it.
export {
  DEFAULT_SINK_RETRY,
  DEFAULT_SOURCE_RETRY,
  isPermanentError,
  PERMANENT_CODES,
  retryDelay,
  sleep,
  withRetry,
  type RetryPolicy,
  type WithRetryOptions,
} from '../runtime/retry.js'

// HTTP GET of JSON with that policy: backoff with jitter, Retry-After, permanent 4xx, timeouts, body checks.
export {fetchJson, fetchJsonResponse, type FetchJsonRequest} from './fetch-json.js'
export {
  fetchJsonResponseWithRetry,
  fetchJsonWithRetry,
  parseRetryAfter,
  safeUrl,
  type FetchJsonOptions,
  type JsonResponse,
} from '../runtime/http-fetch.js'

// The expression language of filter, map, alert and sinks' where:.
export {
  compileConfigExpression,
  compileExpression,
  EXPRESSION_HELP,
  ExpressionError,
  validateExpression,
  type CompiledExpression,
} from '../runtime/expression/expression.js'
export {truthy} from '../runtime/expression/expression-functions.js'

// Reading values out of records.
export {CompensatedSum, eventTime, finiteNumber, groupKey} from '../runtime/record-values.js'
export {isoTime} from '../runtime/iso-time.js'

// Positions in files a plugin reads, for file:line:col problems.
export {sourceLocator, type SourceLocator, type SourcePosition} from './source-locator.js'

// Logging goes through context.logger; the type is here for helpers that take one.
export type {Logger, LogLevel} from '../runtime/logger.js'

// Where etl keeps per-user caches (downloads, generated files): $ETL_CACHE_DIR, else ~/.cache/etl.
export {cacheDir} from '../runtime/paths.js'
