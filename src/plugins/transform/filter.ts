/** Keeps the records for which an expression is true; the rest are counted as filtered_out. */
import {compileConfigExpression, definePlugin, EXPRESSION_HELP, validateExpression} from '../../sdk/index.js'

export interface FilterConfig {
  where: string
}

export default definePlugin<'transform', FilterConfig>({
  name: 'filter',
  kind: 'transform',
  summary: 'Keeps records matching an expression',
  configSchema: {
    type: 'object',
    description: 'Passes on records for which `where` is true (any truthy value); drops the others. ' + EXPRESSION_HELP,
    additionalProperties: false,
    required: ['where'],
    properties: {
      where: {
        type: 'string',
        minLength: 1,
        description:
          "Condition over the record's fields. A comparison with a missing field is false (SQL-like), so " +
          '"price_usd > 0" also drops records without price_usd.',
        examples: [
          "symbol == 'BTC' and price_usd > 1000",
          "source != 'replay' or volume > 0",
          "symbol in ('BTC', 'ETH')",
        ],
      },
    },
    examples: [{where: "symbol == 'BTC' and price_usd > 1000"}],
  },

  validateConfig(config) {
    const problem = validateExpression(config.where)
    return problem ? [{path: ['where'], message: `${problem} in ${JSON.stringify(config.where)}`}] : []
  },

  create(config, context) {
    const matches = compileConfigExpression('filter', 'where', config.where)
    return {
      process(records) {
        const kept = records.filter((record) => matches(record))
        if (kept.length < records.length) context.count('filtered_out', records.length - kept.length)
        return kept
      },
    }
  },
})
