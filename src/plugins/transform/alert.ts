/**
 * Edge-triggered alerts per series: each rule fires once when its condition becomes true for a key and re-arms when
 * it turns false, so a price that stays above a threshold for a week raises one alert, not one per record. Alert
 * records carry `record_type: 'alert'` (input records never get that field), so `record_type == 'alert'` routes them.
 */
import {
  compileConfigExpression,
  type ConfigIssue,
  definePlugin,
  type Duration,
  durationSchema,
  type EtlRecord,
  eventTime,
  EXPRESSION_HELP,
  finiteNumber,
  formatDuration,
  parseDuration,
  truthy,
  validateExpression,
} from '../../sdk/index.js'
import {notFiniteReason} from '../shared/rolling/indicator.js'
import {KeyedState, keyFields, keyLabel, keyProperty} from '../shared/rolling/keyed-state.js'
import {EdgeTrigger} from '../shared/rolling/edge-trigger.js'
import {PercentMoveWatch} from '../shared/rolling/percent-move.js'

export interface PercentMove {
  field: string
  percent: number
  within: Duration
  time?: string
}

export interface AlertRule {
  name: string
  when?: string
  field?: string
  above?: number
  below?: number
  percentMove?: PercentMove
}

export interface AlertConfig {
  rules: AlertRule[]
  key: string[]
  time: string
  output: 'with-input' | 'alerts-only'
}

/** What a rule read from a record before any state changes: every rule reads first, so a reject touches nothing. */
type Reading = {value: number; time: number} | 'skip'
type Rejection = {code: string; reason: string}
/** An alert that fires now: its value and the message after the series label. */
type Fired = {value: unknown; detail: string}

interface Rule {
  name: string
  read(record: EtlRecord): Reading | Rejection
  createState(): unknown
  /** Updates the rule's state for the record's series and returns the alerts that fire now (usually none). */
  decide(reading: Exclude<Reading, 'skip'>, state: unknown, record: EtlRecord): Fired[]
}

const show = (value: number): string => String(Number(value.toPrecision(10)))
const iso = (ms: number): string => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms))
const NO_READING = {value: NaN, time: NaN}

function numericRead(field: string, rule: string, timeField: string | undefined, count: (event: string) => void) {
  return (record: EtlRecord): Reading | Rejection => {
    // null/absent is what an upstream indicator emits while warming up: not an error, just nothing to compare yet.
    if (record[field] === null || record[field] === undefined) {
      count('alert_value_missing')
      return 'skip'
    }
    const value = finiteNumber(record, field)
    if (value === undefined)
      return {code: 'ETL_VALUE_NOT_FINITE', reason: `rule "${rule}": ${notFiniteReason(record, field)}`}
    const time = timeField === undefined ? NaN : eventTime(record, timeField)
    if (time === undefined) {
      return {
        code: 'ETL_RECORD_INVALID',
        reason: `rule "${rule}": ${timeField} is missing or not a time (ISO 8601 or epoch ms)`,
      }
    }
    return {value, time}
  }
}

function compileRule(rule: AlertRule, index: number, time: string, count: (event: string) => void): Rule {
  const {name, field} = rule
  if (rule.when !== undefined) {
    const when = compileConfigExpression('alert', `rules[${index}].when`, rule.when)
    return {
      name,
      read: () => NO_READING,
      createState: () => new EdgeTrigger(),
      decide(_reading, edge: EdgeTrigger, record) {
        if (!edge.update(truthy(when(record)))) return []
        const value = field === undefined ? null : (record[field] ?? null)
        return [
          {value, detail: `${rule.when} became true${field === undefined ? '' : ` (${field} = ${String(value)})`}`},
        ]
      },
    }
  }
  if (rule.percentMove) {
    const move = rule.percentMove
    const width = parseDuration(move.within)
    const within = typeof move.within === 'string' ? move.within.trim() : formatDuration(width)
    return {
      name,
      read: numericRead(move.field, name, move.time ?? time, count),
      createState: () => new PercentMoveWatch(width, move.percent),
      decide({value, time: at}, watch: PercentMoveWatch) {
        const update = watch.update(at, value)
        if (update === 'time-backwards') {
          count('alert_time_backwards')
          return []
        }
        if (update.nonPositiveReference) count('alert_percent_move_nonpositive')
        return update.fired.map(({percent, from}) => ({
          value: percent,
          detail:
            `${move.field} ${percent >= 0 ? 'rose' : 'fell'} ${+Math.abs(percent).toFixed(2)}% within ${within}: ` +
            `${show(from.value)} at ${iso(from.time)} → ${show(value)}`,
        }))
      },
    }
  }
  const above = rule.above !== undefined
  const limit = (above ? rule.above : rule.below)!
  return {
    name,
    read: numericRead(field!, name, undefined, count),
    createState: () => new EdgeTrigger(),
    decide({value}, edge: EdgeTrigger) {
      if (!edge.update(above ? value > limit : value < limit)) return []
      return [{value, detail: `${field} is ${show(value)}, ${above ? 'above' : 'below'} ${show(limit)}`}]
    },
  }
}

function ruleIssues(rule: AlertRule, index: number): ConfigIssue[] {
  const at = (...path: (string | number)[]) => ['rules', index, ...path]
  const issues: ConfigIssue[] = []
  const threshold = rule.above !== undefined || rule.below !== undefined
  const kinds = [
    rule.when !== undefined && 'when',
    threshold && 'above/below',
    rule.percentMove !== undefined && 'percentMove',
  ]
  const set = kinds.filter((kind): kind is string => kind !== false)
  if (set.length === 0) {
    issues.push({
      path: at(),
      message: `rule "${rule.name}" has no condition: set one of when, above or below (with field), percentMove`,
    })
  } else if (set.length > 1) {
    issues.push({
      path: at(),
      message: `rule "${rule.name}" sets ${set.join(' and ')}: use exactly one condition per rule (split it in two)`,
    })
  }
  if (rule.above !== undefined && rule.below !== undefined) {
    issues.push({path: at('below'), message: 'set above or below, not both: for a band, write one rule for each side'})
  }
  if (threshold && rule.field === undefined)
    issues.push({path: at('field'), message: 'above/below need the field to compare: set field'})
  if (rule.percentMove && rule.field !== undefined) {
    issues.push({
      path: at('field'),
      message: 'a percentMove rule names its field inside percentMove; remove this field',
    })
  }
  if (rule.when !== undefined) {
    const problem = validateExpression(rule.when)
    if (problem) issues.push({path: at('when'), message: `${problem} in ${JSON.stringify(rule.when)}`})
  }
  if (rule.percentMove && parseDuration(rule.percentMove.within) === 0) {
    issues.push({path: at('percentMove', 'within'), message: 'within must be longer than 0'})
  }
  return issues
}

function alertRecord(name: string, fired: Fired, record: EtlRecord, config: AlertConfig, now: () => number): EtlRecord {
  const time = eventTime(record, config.time)
  return {
    record_type: 'alert',
    alert: name,
    ...keyFields(record, config.key),
    value: fired.value,
    message: `${keyLabel(record, config.key)}: ${fired.detail}`,
    time: iso(time ?? now()),
    triggered_by: record[config.time] ?? null,
  }
}

export default definePlugin<'transform', AlertConfig>({
  name: 'alert',
  kind: 'transform',
  summary: "Emits alert records when a rule's condition becomes true, per series",
  configSchema: {
    type: 'object',
    description:
      'Checks every rule on every record, per series (`key`). Edge-triggered: a rule fires when its condition ' +
      "becomes true for a series (also on the series' first record), stays quiet while it remains true, and re-arms " +
      "when it is false on a later record. percentMove compares the record's value with the lowest (a rise) and " +
      'highest (a fall) value of its series in the trailing window [t − within, t] (a value exactly `within` old ' +
      "counts); rises and falls re-arm separately; a record whose time is before its series' latest is not checked " +
      '(counted as alert_time_backwards), and a reference ≤ 0 gives no move. A threshold or percentMove rule whose ' +
      'field is null or absent (an indicator still warming up) skips that record (counted as alert_value_missing) ' +
      'and keeps its state; a field that is present but NaN, Infinity or not numeric dead-letters the record ' +
      '(ETL_VALUE_NOT_FINITE; ETL_RECORD_INVALID for a missing or bad time) before any rule sees it. An alert ' +
      'record follows the record that triggered it: {record_type: "alert", alert: <rule name>, <key fields>, value, ' +
      "message, time: the trigger's event time as ISO 8601 (processing time if it has none), triggered_by: the " +
      "trigger's `time` field as it was}; input records are passed on unchanged (no record_type), so " +
      "`record_type == 'alert'` selects alerts. value is the field's value (above/below), the signed move in " +
      "percent, (value − reference) / reference × 100 (percentMove), or the rule's `field` if set, else null " +
      '(when). Records that already have record_type "alert" pass through unchecked. ' +
      EXPRESSION_HELP,
    additionalProperties: false,
    required: ['rules'],
    properties: {
      rules: {
        type: 'array',
        minItems: 1,
        description:
          "Alert rules. Each has a `name` (unique; the alert's `alert` field) and exactly one condition: `when`: " +
          'an expression over the record, fields added by earlier transforms included (true when truthy; a missing ' +
          'field makes a comparison false, which re-arms), optionally with `field` to report as value; `field` with ' +
          '`above` or `below`: strictly greater / less than; `percentMove`: {field, percent (> 0), within (a ' +
          "duration: seconds, or 500ms, 10s, 1.5m, 1h, 1d), time (default: this transform's `time`)}: " +
          'the field moved by at least `percent`, either way, within `within`.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: {
              type: 'string',
              minLength: 1,
              description: 'Alert name, unique in this transform.',
              examples: ['btc-100k'],
            },
            when: {
              type: 'string',
              minLength: 1,
              description: 'Condition expression; a missing field makes comparisons false (re-arming).',
            },
            field: {
              type: 'string',
              minLength: 1,
              description: 'Numeric field for above/below; with when, the field reported as value.',
            },
            above: {type: 'number', description: 'Fires when field > above.'},
            below: {type: 'number', description: 'Fires when field < below.'},
            percentMove: {
              type: 'object',
              additionalProperties: false,
              required: ['field', 'percent', 'within'],
              description: 'Fires when `field` moved by at least `percent` (either direction) within `within`.',
              properties: {
                field: {type: 'string', minLength: 1, description: 'Numeric field, normally a price.'},
                percent: {type: 'number', exclusiveMinimum: 0, description: 'Minimum move in percent, e.g. 5.'},
                within: durationSchema('Length of the trailing time window.'),
                time: {
                  type: 'string',
                  minLength: 1,
                  description: "Event-time field (ISO 8601 or epoch ms); default: the transform's `time`.",
                },
              },
            },
          },
        },
        examples: [
          [
            {name: 'btc-above-100k', field: 'price_usd', above: 100000},
            {name: 'fast-move', percentMove: {field: 'price_usd', percent: 5, within: '1h'}},
            {name: 'zscore-spike', when: 'abs(price_usd_zscore_20) >= 3', field: 'price_usd_zscore_20'},
          ],
        ],
      },
      key: keyProperty(),
      time: {
        type: 'string',
        minLength: 1,
        default: 'timestamp',
        description:
          'Event-time field of input records (ISO 8601 or epoch ms): stamps alert records and times percentMove ' +
          'windows.',
        examples: ['timestamp', 'last_updated'],
      },
      output: {
        enum: ['with-input', 'alerts-only'],
        default: 'with-input',
        description:
          'with-input: every input record, each followed by the alerts it triggered; alerts-only: only alert records.',
      },
    },
    examples: [{rules: [{name: 'btc-above-100k', field: 'price_usd', above: 100000}], output: 'alerts-only'}],
  },

  validateConfig(config) {
    const issues = config.rules.flatMap((rule, index) => ruleIssues(rule, index))
    const seen = new Set<string>()
    config.rules.forEach((rule, index) => {
      if (seen.has(rule.name))
        issues.push({path: ['rules', index, 'name'], message: `duplicate rule name "${rule.name}"`})
      seen.add(rule.name)
    })
    return issues
  },

  create(config, context) {
    const count = (event: string) => context.count(event)
    const rules = config.rules.map((rule, index) => compileRule(rule, index, config.time, count))
    const states = new KeyedState(config.key, () => rules.map((rule) => rule.createState()))
    const withInput = config.output === 'with-input'
    return {
      process(records) {
        const out: EtlRecord[] = []
        const readings: Reading[] = new Array(rules.length)
        for (const record of records) {
          if (record.record_type === 'alert') {
            out.push(record)
            continue
          }
          let rejected = false
          for (let i = 0; i < rules.length && !rejected; i++) {
            const reading = rules[i].read(record)
            if (typeof reading === 'object' && 'code' in reading) {
              context.reject(record, reading.code, reading.reason)
              rejected = true
            } else readings[i] = reading
          }
          if (rejected) continue
          if (withInput) out.push(record)
          const ruleStates = states.of(record)
          for (let i = 0; i < rules.length; i++) {
            if (readings[i] === 'skip') continue
            for (const fired of rules[i].decide(readings[i] as Exclude<Reading, 'skip'>, ruleStates[i], record)) {
              context.count('alerts_fired')
              out.push(alertRecord(rules[i].name, fired, record, config, () => context.clock.now()))
            }
          }
        }
        return out
      },
    }
  },
})
