/**
 * Reshapes records: computes new fields from expressions, renames, keeps a selection, drops. Input records are never
 * modified (another stage may still hold them); each step builds a fresh object only when it is configured.
 */
import {
  compileConfigExpression,
  type CompiledExpression,
  definePlugin,
  type EtlRecord,
  EXPRESSION_HELP,
  validateExpression,
} from '../../sdk/index.js'

export interface MapConfig {
  select?: string[]
  rename?: Record<string, string>
  compute?: Record<string, string>
  drop?: string[]
}

type Step = (record: EtlRecord) => EtlRecord

function computeStep(compute: Record<string, string>): Step | undefined {
  const fields: [string, CompiledExpression][] = Object.entries(compute).map(([field, text]) => [
    field,
    compileConfigExpression('map', `compute.${field}`, text),
  ])
  if (fields.length === 0) return undefined
  return (input) => {
    const record = {...input}
    // Evaluated against the growing record, so a later expression can use a field computed before it.
    for (const [field, evaluate] of fields) record[field] = evaluate(record)
    return record
  }
}

function renameStep(rename: Record<string, string>): Step | undefined {
  const to = new Map(Object.entries(rename))
  if (to.size === 0) return undefined
  // target → sources, to let a renamed field replace an existing field of the same name wherever the two sit.
  const sourcesOf = new Map<string, string[]>()
  for (const [from, target] of to) sourcesOf.set(target, [...(sourcesOf.get(target) ?? []), from])
  return (input) => {
    const record: EtlRecord = {}
    for (const key of Object.keys(input)) {
      const target = to.get(key)
      if (target !== undefined) record[target] = input[key]
      else if (!sourcesOf.get(key)?.some((source) => Object.hasOwn(input, source))) record[key] = input[key]
    }
    return record
  }
}

function selectStep(select: string[]): Step {
  return (input) => {
    const record: EtlRecord = {}
    for (const field of select) if (Object.hasOwn(input, field)) record[field] = input[field]
    return record
  }
}

function dropStep(drop: string[]): Step {
  const dropped = new Set(drop)
  return (input) => {
    const record: EtlRecord = {}
    for (const key of Object.keys(input)) if (!dropped.has(key)) record[key] = input[key]
    return record
  }
}

const fieldList = (description: string, examples: unknown[]) => ({
  type: 'array',
  items: {type: 'string', minLength: 1},
  uniqueItems: true,
  minItems: 1,
  description,
  examples,
})

export default definePlugin<'transform', MapConfig>({
  name: 'map',
  kind: 'transform',
  summary: 'Computes, renames, selects and drops record fields',
  configSchema: {
    type: 'object',
    description:
      'Steps run in this fixed order, each only when set: compute → rename → select → drop. So select and drop use ' +
      'the new names, and computed fields can be selected. ' +
      EXPRESSION_HELP,
    additionalProperties: false,
    properties: {
      compute: {
        type: 'object',
        additionalProperties: {type: 'string', minLength: 1},
        description:
          'New (or replaced) field → expression over the record. Evaluated in the order written; each expression ' +
          'sees the fields computed before it. What cannot be computed (missing field, division by zero) is null.',
        examples: [
          {price_eur: 'round(price_usd * 0.92, 2)', range: 'high - low', pair: "symbol + '/' + upper(vs_currency)"},
        ],
      },
      rename: {
        type: 'object',
        additionalProperties: {type: 'string', minLength: 1},
        description:
          'Old field name → new name; the field keeps its position, a missing field is left alone, and a renamed ' +
          'field replaces any existing field with the new name.',
        examples: [{price_usd: 'price', coin_id: 'coin'}],
      },
      select: fieldList('Fields to keep, in this order (fields a record lacks are left out); all others are removed.', [
        ['symbol', 'price_usd', 'timestamp'],
      ]),
      drop: fieldList('Fields to remove.', [['coin_id', 'source']]),
    },
    examples: [{compute: {price_eur: 'round(price_usd * 0.92, 2)'}, drop: ['volume']}],
  },

  validateConfig(config) {
    return Object.entries(config.compute ?? {}).flatMap(([field, text]) => {
      const problem = validateExpression(text)
      return problem ? [{path: ['compute', field], message: `${problem} in ${JSON.stringify(text)}`}] : []
    })
  },

  create(config, context) {
    const steps = [
      computeStep(config.compute ?? {}),
      renameStep(config.rename ?? {}),
      config.select && selectStep(config.select),
      config.drop && dropStep(config.drop),
    ].filter((step): step is Step => step !== undefined)
    if (steps.length === 0) context.logger.warn('map has nothing to do: set compute, rename, select or drop')
    const apply = (record: EtlRecord) => steps.reduce((current, step) => step(current), record)
    return {
      process: (records) => (steps.length === 0 ? records : records.map(apply)),
    }
  },
})
