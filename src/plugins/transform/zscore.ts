/**
 * Rolling z-score per series: how many (sample) standard deviations the value sits from the mean of the last
 * `period` values. Recomputed over the window for every record (O(period)), so nothing can drift; the one-pass
 * Σx² − (Σx)²/n is avoided because it cancels catastrophically on flat price stretches.
 */
import {definePlugin} from '../../sdk/index.js'
import {asProperty, fieldProperty, indicatorTransform, periodProperty} from '../shared/rolling/indicator.js'
import {keyProperty} from '../shared/rolling/keyed-state.js'
import {RingBuffer} from '../shared/rolling/ring-buffer.js'

export interface ZscoreConfig {
  field: string
  period: number
  threshold?: number
  as?: string
  key: string[]
}

/**
 * z of `value` against a full window that includes it; 0 when every value in the window is the same. Works on the
 * differences value − x: value − mean comes out as their average instead of as the difference of two nearly equal
 * numbers, which on a window of 10.9, 10.9, 10.91 would keep only a few correct digits.
 */
export function windowZscore(window: RingBuffer, value: number): number {
  const n = window.size
  let flat = true
  let differences = 0
  window.forEach((x) => {
    if (x !== value) flat = false
    differences += value - x
  })
  // Exact test, not a tolerance: a flat window is the one case where the stddev is 0 and z is defined as 0.
  if (flat) return 0
  const aboveMean = differences / n
  let squares = 0
  window.forEach((x) => {
    const deviation = value - x - aboveMean // = mean − x
    squares += deviation * deviation
  })
  return aboveMean / Math.sqrt(squares / (n - 1))
}

export default definePlugin<'transform', ZscoreConfig>({
  name: 'zscore',
  kind: 'transform',
  summary: 'Adds the rolling z-score of a field (and optionally an anomaly flag), per series',
  configSchema: {
    type: 'object',
    description:
      'Passes every record on, in order, with the field `as` added: (value − mean) / stddev over the last `period` ' +
      "values of the record's series, this record included; stddev is the sample standard deviation (n − 1, as " +
      'pandas rolling().std()). null until the series has `period` values; 0 when all of them are equal (the value ' +
      'is the mean). With `threshold`, also adds `<as>_anomaly`: true when |z| ≥ threshold, false otherwise, null ' +
      'while z is null. A record whose `field` is missing, null, NaN, Infinity or not numeric is dead-lettered ' +
      '(ETL_VALUE_NOT_FINITE), not passed on, and does not enter the window.',
    additionalProperties: false,
    properties: {
      field: fieldProperty('Numeric field to score.'),
      period: periodProperty('Number of values in the window (of the same series); at least 2.', 20, 2),
      threshold: {
        type: 'number',
        exclusiveMinimum: 0,
        description:
          'When set, adds the boolean `<as>_anomaly`: |z| ≥ threshold. As the value is part of its own window, |z| ' +
          'never exceeds (period − 1) / √period, so e.g. threshold 3 needs period ≥ 11 (checked).',
        examples: [3, 2.5],
      },
      as: asProperty('`<field>_zscore_<period>`', 'price_usd_zscore_20'),
      key: keyProperty(),
    },
    examples: [{field: 'price_usd', period: 20, threshold: 3}],
  },

  validateConfig(config) {
    const reachable = (config.period - 1) / Math.sqrt(config.period)
    if (config.threshold === undefined || config.threshold <= reachable) return []
    return [
      {
        path: ['threshold'],
        message:
          `threshold ${config.threshold} can never be reached with period ${config.period}: |z| is at most ` +
          `${reachable.toFixed(3)} when the value is part of its own window; raise period or lower threshold`,
      },
    ]
  },

  create(config, context) {
    const as = config.as ?? `${config.field}_zscore_${config.period}`
    const flag = `${as}_anomaly`
    const threshold = config.threshold
    return indicatorTransform(
      {
        key: config.key,
        inputs: [config.field],
        createState: () => new RingBuffer(config.period),
        step(window, [value], output) {
          window.push(value)
          const z = window.full ? windowZscore(window, value) : null
          output[as] = z
          if (threshold !== undefined) output[flag] = z === null ? null : Math.abs(z) >= threshold
        },
      },
      context,
    )
  },
})
