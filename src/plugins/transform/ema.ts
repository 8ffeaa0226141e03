/**
 * Exponential moving average per series, seeded the way TA libraries (TA-Lib, pandas-ta) do: the first value is the
 * SMA of the first `period` values, so early outputs do not lean on whichever price happened to come first.
 */
import {CompensatedSum, definePlugin} from '../../sdk/index.js'
import {asProperty, fieldProperty, indicatorTransform, periodProperty} from '../shared/rolling/indicator.js'
import {keyProperty} from '../shared/rolling/keyed-state.js'

export interface EmaConfig {
  field: string
  period: number
  alpha?: number
  as?: string
  key: string[]
}

interface EmaState {
  seen: number
  seed: CompensatedSum
  ema: number | null
}

/** The default output name; with `alpha` it names the factor, since the period no longer sets the smoothing. */
export function emaFieldName(config: Pick<EmaConfig, 'field' | 'period' | 'alpha'>): string {
  if (config.alpha === undefined) return `${config.field}_ema_${config.period}`
  return `${config.field}_ema_alpha_${String(config.alpha).replace(/[.-]/g, '_')}`
}

export default definePlugin<'transform', EmaConfig>({
  name: 'ema',
  kind: 'transform',
  summary: 'Adds the exponential moving average of a field, per series',
  configSchema: {
    type: 'object',
    description:
      'Passes every record on, in order, with one field added: the exponential moving average of `field` in the ' +
      "record's series, ema = ema_prev + α·(value − ema_prev) with α = 2 / (period + 1) unless `alpha` is set. " +
      'Seeded like TA-Lib: null for the first period − 1 values, then the simple average of the first `period` ' +
      'values, then the recursion. A record whose `field` is missing, null, NaN, Infinity or not numeric is ' +
      'dead-lettered (ETL_VALUE_NOT_FINITE), not passed on, and leaves the average untouched.',
    additionalProperties: false,
    properties: {
      field: fieldProperty('Numeric field to average (numbers or numeric strings).'),
      period: periodProperty(
        'Sets α = 2 / (period + 1) and how many values seed the average (their simple mean). With `alpha` set, only ' +
          'the seeding; use period 1 to start from the first value as pandas ewm(adjust=False) does.',
        20,
      ),
      alpha: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 1,
        description: 'Smoothing factor in (0, 1], instead of the one derived from `period` (1 = no smoothing).',
        examples: [0.1],
      },
      as: asProperty(
        '`<field>_ema_<period>`, or `<field>_ema_alpha_<alpha>` with `alpha` (0.1 → 0_1)',
        'price_usd_ema_20',
      ),
      key: keyProperty(),
    },
    examples: [
      {field: 'price_usd', period: 12},
      {field: 'close', alpha: 0.1, period: 1},
    ],
  },

  create(config, context) {
    const as = config.as ?? emaFieldName(config)
    const alpha = config.alpha ?? 2 / (config.period + 1)
    return indicatorTransform<EmaState>(
      {
        key: config.key,
        inputs: [config.field],
        createState: () => ({seen: 0, seed: new CompensatedSum(), ema: null}),
        step(state, [value], output) {
          if (state.ema !== null) state.ema += alpha * (value - state.ema)
          else {
            state.seed.add(value)
            state.seen++
            if (state.seen === config.period) state.ema = state.seed.value / config.period
          }
          output[as] = state.ema
        },
      },
      context,
    )
  },
})
