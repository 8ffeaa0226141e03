/** Percent change per series against the value `periods` records earlier, as pandas' pct_change() × 100. */
import {definePlugin} from '../../sdk/index.js'
import {asProperty, fieldProperty, indicatorTransform, periodProperty} from '../shared/rolling/indicator.js'
import {keyProperty} from '../shared/rolling/keyed-state.js'
import {RingBuffer} from '../shared/rolling/ring-buffer.js'

export interface PctChangeConfig {
  field: string
  periods: number
  as?: string
  key: string[]
}

export default definePlugin<'transform', PctChangeConfig>({
  name: 'pct_change',
  kind: 'transform',
  summary: 'Adds the percent change of a field against n records earlier, per series',
  configSchema: {
    type: 'object',
    description:
      'Passes every record on, in order, with one field added: (value / earlier − 1) × 100, where `earlier` is the ' +
      "value `periods` records back in the record's series (a record at 110 after one at 100 gives 10). The field " +
      'is null until the series has that much history, and null (counted as pct_change_division_by_zero) when the ' +
      'earlier value is 0. A record whose `field` is missing, null, NaN, Infinity or not numeric is dead-lettered ' +
      '(ETL_VALUE_NOT_FINITE), not passed on, and does not enter the history.',
    additionalProperties: false,
    properties: {
      field: fieldProperty('Numeric field to compare.'),
      periods: periodProperty('How many records back (of the same series) the earlier value is.', 1),
      as: asProperty('`<field>_pct_change_<periods>`', 'price_usd_pct_change_1'),
      key: keyProperty(),
    },
    examples: [{field: 'price_usd'}, {field: 'close', periods: 7, as: 'week_change_pct'}],
  },

  create(config, context) {
    const as = config.as ?? `${config.field}_pct_change_${config.periods}`
    return indicatorTransform(
      {
        key: config.key,
        inputs: [config.field],
        // Holds the previous `periods` values, so when full its oldest is the value `periods` records back.
        createState: () => new RingBuffer(config.periods),
        step(history, [value], output) {
          const earlier = history.full ? history.at(0)! : undefined
          history.push(value)
          if (earlier === undefined) output[as] = null
          else if (earlier === 0) {
            output[as] = null
            context.count('pct_change_division_by_zero')
          } else {
            // (value − earlier) / earlier equals value / earlier − 1 but subtracts before dividing, which is exact
            // for nearby prices instead of losing digits to the cancellation of "≈1 − 1".
            output[as] = ((value - earlier) / earlier) * 100
          }
        },
      },
      context,
    )
  },
})
