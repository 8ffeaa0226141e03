/** Open/high/low/close candles per key over event-time windows, from price ticks or from finer candles. */
import {type ConfigIssue, definePlugin, EtlError} from '../../sdk/index.js'
import type {AggregateSpec} from '../shared/windowing/aggregates.js'
import {commonWindowProperties, WINDOW_SEMANTICS, type CommonWindowConfig} from '../shared/windowing/window-schema.js'
import {resolveWindowSpec} from '../shared/windowing/window-spec.js'
import {createWindowTransform} from '../shared/windowing/window-transform.js'

export interface OhlcConfig extends CommonWindowConfig {
  price: string
  volume?: string
  input: 'ticks' | 'candles'
  open: string
  high: string
  low: string
}

function field(description: string, defaultValue: string) {
  return {type: 'string', minLength: 1, description, default: defaultValue, examples: [defaultValue]}
}

/** The candle as window aggregates: the output names are fixed so every ohlc output has the same columns. */
export function candleAggregates(config: OhlcConfig): AggregateSpec[] {
  const candles = config.input === 'candles'
  return [
    {name: 'open', op: 'first', field: candles ? config.open : config.price},
    {name: 'high', op: 'max', field: candles ? config.high : config.price},
    {name: 'low', op: 'min', field: candles ? config.low : config.price},
    {name: 'close', op: 'last', field: config.price},
    ...(config.volume === undefined ? [] : [{name: 'volume', op: 'sum', field: config.volume} as const]),
    {name: 'count', op: 'count'},
  ]
}

function configIssues(config: OhlcConfig): ConfigIssue[] {
  // Sliding candles are asked for by giving a slide; equal to size they are plain tumbling candles.
  const issues = resolveWindowSpec({...config, window: config.slide === undefined ? 'tumbling' : 'sliding'}).issues
  const outputs = new Set(['window_start', 'window_end', 'open', 'high', 'low', 'close', 'volume', 'count'])
  for (const name of config.key) {
    if (outputs.has(name))
      issues.push({path: ['key'], message: `key field "${name}" would be overwritten by the candle's own ${name}`})
  }
  return issues
}

export default definePlugin<'transform', OhlcConfig>({
  name: 'ohlc',
  kind: 'transform',
  summary: 'Rolls price ticks or finer candles up into open/high/low/close candles over event-time windows',
  configSchema: {
    type: 'object',
    description:
      'Emits one candle per key and window: key fields, window_start, window_end, open, high, low, close, volume ' +
      '(when volume is set) and count (records in the window). From ticks: open is the first price, high the ' +
      'highest, low the lowest, close the last. From candles (e.g. the daily candles of the replay source): open is ' +
      'the first open, high the highest high, low the lowest low, close the last price, volume the sum. First and ' +
      'last are by event time (on equal times, by arrival), so records out of order inside a window still give the ' +
      `right open and close. Windows are tumbling unless slide is set. ${WINDOW_SEMANTICS}`,
    additionalProperties: false,
    properties: {
      ...commonWindowProperties('1m'),
      input: {
        type: 'string',
        enum: ['ticks', 'candles'],
        description:
          'ticks: each record is one price; candles: each record is itself a candle with open, high, low and price ' +
          '(its close).',
        default: 'ticks',
        examples: ['ticks', 'candles'],
      },
      price: field('Field holding the price (ticks) or the close of an input candle (candles).', 'price_usd'),
      volume: {
        type: 'string',
        minLength: 1,
        description: "Field summed into the candle's volume; without it the candle has no volume field.",
        examples: ['volume'],
      },
      open: field("Field holding an input candle's open (input: candles only).", 'open'),
      high: field("Field holding an input candle's high (input: candles only).", 'high'),
      low: field("Field holding an input candle's low (input: candles only).", 'low'),
    },
    examples: [
      {size: '1m'},
      {size: '7d', input: 'candles', volume: 'volume'},
      {size: '1h', slide: '15m', lateness: '1m'},
    ],
  },

  validateConfig: configIssues,

  create(config, context) {
    const {spec} = resolveWindowSpec({...config, window: config.slide === undefined ? 'tumbling' : 'sliding'})
    const issues = configIssues(config)
    if (!spec || issues.length > 0) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `ohlc: ${issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      )
    }
    const options = {
      time: config.time,
      key: config.key,
      spec,
      aggregates: candleAggregates(config),
      emit: config.emit,
      late: config.late,
      passThrough: config.passThrough,
    }
    return createWindowTransform(options, context)
  },
})
