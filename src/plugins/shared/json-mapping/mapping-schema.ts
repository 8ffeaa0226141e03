/**
 * The config keys the generic http and websocket sources share (records, fields, filter, timestampUnit): one
 * schema and one static check, so `etl validate` reports a bad path or expression with file:line:col in both.
 */
import {type ConfigIssue, EXPRESSION_HELP, validateExpression} from '../../../sdk/index.js'
import {jsonPathProblem} from './json-path.js'

export type TimestampUnit = 's' | 'ms' | 'us' | 'ns'

export interface MappingConfig {
  records?: string
  fields: Record<string, string>
  filter?: string
  timestampUnit?: TimestampUnit
}

export const mappingProperties = {
  records: {
    type: 'string',
    minLength: 1,
    description:
      'Where the items are in each JSON document: `$` for the root (an array, or one object), else names joined by ' +
      'dots (`data.items`); `*` steps into every element (`events.*.trades`). An array gives one record per element.',
    default: '$',
    examples: ['$', 'data.items', 'events.*.trades'],
  },
  fields: {
    type: 'object',
    minProperties: 1,
    additionalProperties: {type: 'string', minLength: 1},
    description:
      'Record field → expression over one item. Nested values have dotted names, written in backticks: ' +
      '`` `price.usd` ``, array elements `` `0` ``. A `timestamp` field is the event time: a number in ' +
      '`timestampUnit` or ISO 8601 text, emitted as ISO; without one, the receive time is used. ' +
      EXPRESSION_HELP,
    examples: [{symbol: 'upper(s)', price_usd: 'number(p)', timestamp: 'T', trade_id: 't'}],
  },
  filter: {
    type: 'string',
    minLength: 1,
    description: 'Keep only items for which this expression (over the item, before `fields`) is true.',
    examples: ["e == 'trade'", "type == 'match' and product_id == 'BTC-USD'"],
  },
  timestampUnit: {
    type: 'string',
    enum: ['s', 'ms', 'us', 'ns'],
    description: 'Unit of a numeric `timestamp` (epoch).',
    default: 'ms',
    examples: ['ms', 's'],
  },
}

/** What the schema cannot say: the path's syntax and every expression's, each at its own key. */
export function mappingIssues(config: MappingConfig & {key?: string}): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const pathProblem = config.records === undefined ? undefined : jsonPathProblem(config.records)
  if (pathProblem) issues.push({path: ['records'], message: pathProblem})
  const expressions: [(string | number)[], string | undefined][] = [
    ...Object.entries(config.fields ?? {}).map(([name, text]): [string[], string] => [['fields', name], text]),
    [['filter'], config.filter],
    [['key'], config.key],
  ]
  for (const [path, text] of expressions) {
    const problem = text === undefined ? undefined : validateExpression(text)
    if (problem) issues.push({path, message: `${problem} in ${JSON.stringify(text)}`})
  }
  return issues
}
