/**
 * Source: polls any JSON API and maps its items to records with expressions, so a new price API needs a pipeline
 * file, not code. Conditional requests (ETag / Last-Modified) and `key` keep unchanged answers out of the topic;
 * retries follow the stage's `retry:` policy like every HTTP source.
 */
import {definePlugin, type PluginContext} from '../../../sdk/index.js'
import {mappingIssues} from '../../shared/json-mapping/mapping-schema.js'
import {configSchema, settings, type HttpConfig} from './http-config.js'
import {HttpSource} from './http-source.js'

function create(config: HttpConfig, context: PluginContext): HttpSource {
  for (const value of Object.values(config.headers ?? {})) context.registerSecret(value)
  return new HttpSource(settings(config), context)
}

export default definePlugin<'source', HttpConfig>({
  name: 'http',
  kind: 'source',
  summary: 'Polls any JSON API (conditional requests, emit only changed) and maps its items to records',
  secrets: ['headers'],
  // The series key, when set, keeps each series in order on one partition (unless the pipeline sets kafka.key).
  messageKey: (config) => config.key,
  configSchema,
  validateConfig: (config) => mappingIssues(config),
  create,
})
