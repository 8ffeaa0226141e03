/** Event-time tumbling or sliding windows with aggregates (first, last, min, max, sum, avg, count) per key. */
import {type ConfigIssue, definePlugin, EtlError} from '../../sdk/index.js'
import {AGGREGATE_OPS, type AggregateOp, type AggregateSpec} from '../shared/windowing/aggregates.js'
import {
  commonWindowProperties,
  WINDOW_FIELDS,
  WINDOW_SEMANTICS,
  type CommonWindowConfig,
} from '../shared/windowing/window-schema.js'
import {resolveWindowSpec} from '../shared/windowing/window-spec.js'
import {createWindowTransform} from '../shared/windowing/window-transform.js'

export interface WindowConfig extends CommonWindowConfig {
  window: 'tumbling' | 'sliding'
  aggregates: Record<string, {op: AggregateOp; field?: string}>
}

function aggregateIssues(config: WindowConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const taken = new Set<string>([...config.key, ...WINDOW_FIELDS])
  for (const [name, {op, field}] of Object.entries(config.aggregates)) {
    const path = ['aggregates', name]
    if (taken.has(name))
      issues.push({path, message: `output field "${name}" is already a key field or window bound; pick another name`})
    if (op === 'count' && field !== undefined)
      issues.push({path: [...path, 'field'], message: 'count counts records and takes no field'})
    if (op !== 'count' && field === undefined)
      issues.push({path, message: `${op} needs field: the input field to aggregate`})
  }
  return issues
}

function configIssues(config: WindowConfig): ConfigIssue[] {
  return [...resolveWindowSpec(config).issues, ...aggregateIssues(config)]
}

export default definePlugin<'transform', WindowConfig>({
  name: 'window',
  kind: 'transform',
  summary: 'Aggregates records per key over event-time tumbling or sliding windows',
  configSchema: {
    type: 'object',
    description:
      'Groups records by key and event time into tumbling or sliding windows and emits one record per window with ' +
      `the configured aggregates. ${WINDOW_SEMANTICS} ` +
      'first and last mean earliest and latest by event time (on equal times, by arrival), so records out of ' +
      'order inside a window still give the right first and last; sum and avg use compensated summation, so long ' +
      'windows do not drift.',
    additionalProperties: false,
    required: ['size', 'aggregates'],
    properties: {
      ...commonWindowProperties(),
      window: {
        type: 'string',
        enum: ['tumbling', 'sliding'],
        description:
          'tumbling: back-to-back windows of length size; sliding: windows of length size starting every slide.',
        default: 'tumbling',
        examples: ['tumbling', 'sliding'],
      },
      aggregates: {
        type: 'object',
        minProperties: 1,
        description:
          'Output field → {op, field}. op is first, last, min, max, sum, avg or count; field is the numeric input ' +
          'field (numbers or numeric text), required for every op but count, which takes none. Output fields come ' +
          'in this order after the key fields and window bounds.',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['op'],
          properties: {
            op: {type: 'string', enum: [...AGGREGATE_OPS]},
            field: {type: 'string', minLength: 1},
          },
        },
        examples: [{avg_price: {op: 'avg', field: 'price_usd'}, ticks: {op: 'count'}}],
      },
    },
    examples: [
      {size: '1m', aggregates: {avg_price: {op: 'avg', field: 'price_usd'}, ticks: {op: 'count'}}},
      {
        window: 'sliding',
        size: '1h',
        slide: '5m',
        lateness: '30s',
        emit: 'update',
        aggregates: {high: {op: 'max', field: 'price_usd'}},
      },
    ],
  },

  validateConfig: configIssues,

  create(config, context) {
    const {spec} = resolveWindowSpec(config)
    const issues = configIssues(config)
    if (!spec || issues.length > 0) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `window: ${issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      )
    }
    const aggregates: AggregateSpec[] = Object.entries(config.aggregates).map(([name, {op, field}]) => ({
      name,
      op,
      field,
    }))
    return createWindowTransform(
      {
        ...{time: config.time, key: config.key, spec, aggregates},
        emit: config.emit,
        late: config.late,
        passThrough: config.passThrough,
      },
      context,
    )
  },
})
