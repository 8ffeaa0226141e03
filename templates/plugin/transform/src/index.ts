/**
 * {{packageName}}: an etl transform plugin. Passes every record on, in order, with a text field in upper case.
 * One module, one default export: the plugin's definition (etl's `plugins:` loads it from here).
 */
import {definePlugin} from 'etl/sdk'

export interface UpperConfig {
  /** Field to upper-case. */
  field: string
  /** Field to write the result to (default: `field` itself). */
  as?: string
}

export default definePlugin<'transform', UpperConfig>({
  // The plugin API this was written for, as a literal: an etl that does not provide it refuses the plugin clearly.
  apiVersion: {{pluginApi}},
  name: '{{pluginName}}',
  kind: 'transform',
  summary: 'Upper-cases a text field of every record',
  configSchema: {
    type: 'object',
    description:
      'Passes every record on, in order, with `field` in upper case (written to `as` when set). A record whose ' +
      'field is missing or not text is passed on unchanged and counted as not_text.',
    additionalProperties: false,
    properties: {
      field: {
        type: 'string',
        minLength: 1,
        default: 'symbol',
        description: 'Field to upper-case.',
        examples: ['symbol', 'coin_id'],
      },
      as: {
        type: 'string',
        minLength: 1,
        description: 'Field that receives the result; default: `field` itself.',
        examples: ['symbol_upper'],
      },
    },
    examples: [{field: 'symbol'}, {field: 'coin_id', as: 'coin'}],
  },

  create(config, context) {
    const target = config.as ?? config.field
    return {
      process(records) {
        return records.map((record) => {
          const value = record[config.field]
          if (typeof value !== 'string') {
            context.count('not_text')
            return record
          }
          return {...record, [target]: value.toUpperCase()}
        })
      },
    }
  },
})
