/**
 * Rolling volume-weighted average price per series over the last `period` records. Both sums are compensated rolling
 * sums; whether the window holds any volume at all is tracked by counting non-zero volumes, because a sum that had
 * volumes added and removed may end a hair away from 0 and would then divide by rounding residue.
 */
import {definePlugin} from '../../sdk/index.js'
import {asProperty, fieldProperty, indicatorTransform, periodProperty} from '../shared/rolling/indicator.js'
import {keyProperty} from '../shared/rolling/keyed-state.js'
import {RollingSum} from '../shared/rolling/rolling-sum.js'

export interface VwapConfig {
  price: string
  volume: string
  period: number
  as?: string
  key: string[]
}

class VwapWindow {
  readonly priceVolume: RollingSum
  readonly volume: RollingSum
  nonZeroVolumes = 0

  constructor(period: number) {
    this.priceVolume = new RollingSum(period)
    this.volume = new RollingSum(period)
  }

  push(price: number, volume: number): void {
    this.priceVolume.push(price * volume)
    const evicted = this.volume.push(volume)
    if (volume !== 0) this.nonZeroVolumes++
    if (evicted !== undefined && evicted !== 0) this.nonZeroVolumes--
  }
}

export default definePlugin<'transform', VwapConfig>({
  name: 'vwap',
  kind: 'transform',
  summary: 'Adds the rolling volume-weighted average price, per series',
  configSchema: {
    type: 'object',
    description:
      'Passes every record on, in order, with one field added: Σ(price·volume) / Σvolume over the last `period` ' +
      "records of the record's series (this one included). The field is null until the series has `period` " +
      'records, and null (counted as vwap_zero_volume) while every volume in the window is 0. A record whose price ' +
      'or volume is missing, null, NaN, Infinity or not numeric (or whose price·volume overflows) is dead-lettered ' +
      'with ETL_VALUE_NOT_FINITE, one with a negative volume with ETL_RECORD_INVALID; neither is passed on or ' +
      'touches the window.',
    additionalProperties: false,
    required: ['volume'],
    properties: {
      price: fieldProperty('Numeric price field.'),
      volume: {
        type: 'string',
        minLength: 1,
        description: 'Numeric volume field (traded quantity in the period the record covers); must be ≥ 0.',
        examples: ['volume', 'volume_24h'],
      },
      period: periodProperty('Number of records in the window (of the same series).', 20),
      as: asProperty('`vwap_<period>`', 'vwap_20'),
      key: keyProperty(),
    },
    examples: [{volume: 'volume', period: 20}],
  },

  create(config, context) {
    const as = config.as ?? `vwap_${config.period}`
    return indicatorTransform(
      {
        key: config.key,
        inputs: [config.price, config.volume],
        createState: () => new VwapWindow(config.period),
        check([price, volume]) {
          if (volume < 0)
            return {code: 'ETL_RECORD_INVALID', reason: `${config.volume} is ${volume}, a negative volume`}
          if (!Number.isFinite(price * volume)) {
            return {
              code: 'ETL_VALUE_NOT_FINITE',
              reason: `${config.price} × ${config.volume} overflows (${price} × ${volume})`,
            }
          }
          return undefined
        },
        step(window, [price, volume], output) {
          window.push(price, volume)
          if (!window.volume.full) output[as] = null
          else if (window.nonZeroVolumes === 0) {
            output[as] = null
            context.count('vwap_zero_volume')
          } else output[as] = window.priceVolume.sum / window.volume.sum
        },
      },
      context,
    )
  },
})
