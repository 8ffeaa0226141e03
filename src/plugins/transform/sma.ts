/** Simple moving average per series: the mean of the last `period` values, from a drift-free rolling sum. */
import {definePlugin} from '../../sdk/index.js'
import {asProperty, fieldProperty, indicatorTransform, periodProperty} from '../shared/rolling/indicator.js'
import {keyProperty} from '../shared/rolling/keyed-state.js'
import {RollingSum} from '../shared/rolling/rolling-sum.js'

export interface SmaConfig {
  field: string
  period: number
  as?: string
  key: string[]
}

export default definePlugin<'transform', SmaConfig>({
  name: 'sma',
  kind: 'transform',
  summary: 'Adds the simple moving average of a field, per series',
  configSchema: {
    type: 'object',
    description:
      'Passes every record on, in order, with one field added: the mean of the last `period` values of `field` in ' +
      "the record's series (this record included). The field is null until the series has `period` values. A " +
      'record whose `field` is missing, null, NaN, Infinity or not numeric is dead-lettered (ETL_VALUE_NOT_FINITE), ' +
      'not passed on, and leaves the average untouched. The running sum is compensated, so it does not drift over ' +
      'long runs.',
    additionalProperties: false,
    properties: {
      field: fieldProperty('Numeric field to average (numbers or numeric strings).'),
      period: periodProperty('Number of values averaged (records of the same series).', 20),
      as: asProperty('`<field>_sma_<period>`', 'price_usd_sma_20'),
      key: keyProperty(),
    },
    examples: [
      {field: 'price_usd', period: 20},
      {field: 'close', period: 200, as: 'sma_200'},
    ],
  },

  create(config, context) {
    const as = config.as ?? `${config.field}_sma_${config.period}`
    return indicatorTransform(
      {
        key: config.key,
        inputs: [config.field],
        createState: () => new RollingSum(config.period),
        step(window, [value], output) {
          window.push(value)
          output[as] = window.full ? window.sum / config.period : null
        },
      },
      context,
    )
  },
})
