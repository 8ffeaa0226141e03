/**
 * What a usable CoinGecko answer looks like, as JSON Schemas (shapes from the API reference): /simple/price and
 * /coins/{id}/market_chart. Two levels, because they call for different reactions:
 * - the whole body (not an object, an error object sent with 200, no `prices` array) is unusable: http-fetch's
 *   `check` retries it like an error page;
 * - a single value (one coin's NaN/negative/overflowing price, a string where a number belongs, a timestamp before
 *   Bitcoin existed or days in the future) is rejected on its own, with a reason, and the other values still flow.
 * Numbers are strict: JSON has no NaN, but `1e400` parses to Infinity, and null is what many encoders make of NaN.
 */
import {createRequire} from 'node:module'
import type {Ajv, ErrorObject} from 'ajv'

// Required on first use, with the validators: `etl validate` and `etl plugins` import this plugin but check no answer.
const require = createRequire(import.meta.url)

/** The Bitcoin genesis block (2009-01-03): no price can be older. */
export const EARLIEST_TIME_MS = Date.UTC(2009, 0, 3)
/** Clocks drift and caches lag, but an event time more than a day ahead is broken data. */
export const MAX_FUTURE_MS = 86_400_000

function createAjv(): Ajv {
  const AjvClass = (require('ajv') as typeof import('ajv')).Ajv
  const ajv = new AjvClass({
    allErrors: true,
    strict: true,
    strictNumbers: true,
    strictTuples: false,
    strictRequired: false,
    verbose: true,
  })
  // Checked at validation time: "now" moves, so the bound cannot be a constant in the schema.
  ajv.addKeyword({
    keyword: 'saneTime',
    type: 'number',
    schemaType: 'string',
    errors: false,
    validate: (unit: 's' | 'ms', value: number) => timeProblem(unit === 's' ? value * 1000 : value) === undefined,
  })
  return ajv
}

/** Why an event time (epoch ms) cannot be true, or undefined when it can. */
export function timeProblem(ms: number, now = Date.now()): string | undefined {
  if (ms < EARLIEST_TIME_MS) return 'before 2009-01-03 (seconds vs milliseconds mixed up?)'
  if (ms > now + MAX_FUTURE_MS) return 'more than a day in the future'
  return undefined
}

/** Error bodies CoinGecko (or a proxy) sometimes sends with status 200. */
const ERROR_BODY = {
  anyOf: [
    {required: ['status'], properties: {status: {type: 'object', required: ['error_code']}}},
    {required: ['error'], properties: {error: {type: 'string'}}},
  ],
}

const SIMPLE_PRICE_BODY = {type: 'object', not: ERROR_BODY}

/** One coin of /simple/price: `<vs>` prices, `<vs>_market_cap`, `<vs>_24h_vol`, `<vs>_24h_change`, last_updated_at. */
const SIMPLE_PRICE_ENTRY = {
  type: 'object',
  properties: {last_updated_at: {type: 'integer', saneTime: 's'}},
  patternProperties: {
    _market_cap$: {type: 'number', minimum: 0},
    _24h_vol$: {type: 'number', minimum: 0},
    _24h_change$: {type: 'number'},
  },
  additionalProperties: {type: 'number', exclusiveMinimum: 0},
}

const MARKET_CHART_BODY = {
  type: 'object',
  required: ['prices'],
  properties: {prices: {type: 'array'}, market_caps: {type: 'array'}, total_volumes: {type: 'array'}},
  not: ERROR_BODY,
}

/** [epoch ms, price > 0]; market caps and volumes may be 0. */
const pointSchema = (value: object) => ({type: 'array', minItems: 2, items: [{type: 'number', saneTime: 'ms'}, value]})
const PRICE_POINT = pointSchema({type: 'number', exclusiveMinimum: 0})
const AMOUNT_POINT = pointSchema({type: 'number', minimum: 0})

/** Compiled on first use: `etl validate` and `etl plugins` import this plugin but never check an answer. */
let compiled: ReturnType<typeof compileValidators> | undefined

function compileValidators() {
  const ajv = createAjv()
  return {
    simplePriceBody: ajv.compile(SIMPLE_PRICE_BODY),
    simplePriceEntry: ajv.compile(SIMPLE_PRICE_ENTRY),
    marketChartBody: ajv.compile(MARKET_CHART_BODY),
    pricePoint: ajv.compile(PRICE_POINT),
    amountPoint: ajv.compile(AMOUNT_POINT),
  }
}

const validators = () => (compiled ??= compileValidators())

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)

/** A person's words for one ajv error about `value`. */
function reasonFor(error: ErrorObject, value: unknown): string {
  switch (error.keyword) {
    case 'type':
      return typeof value === 'number' ? 'not a finite number' : `not a number (${kindOf(value)})`
    case 'exclusiveMinimum':
      return 'not greater than 0'
    case 'minimum':
      return 'negative'
    case 'saneTime':
      return (
        timeProblem(
          typeof value === 'number' && error.parentSchema?.saneTime === 's' ? value * 1000 : (value as number),
        ) ?? 'not a sane time'
      )
    case 'minItems':
      return 'not a [time, value] pair'
    default:
      return error.message ?? 'invalid'
  }
}

function bodyProblem(
  validate: ReturnType<typeof validators>[keyof ReturnType<typeof validators>],
  body: unknown,
  what: string,
): string | undefined {
  if (validate(body)) return undefined
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `expected a JSON object, got ${kindOf(body)}`
  const errors = validate.errors ?? []
  const shape = errors.find((e) => e.keyword !== 'not')
  const parts = shape ? [`${shape.instancePath || 'body'} ${shape.message ?? 'is invalid'}`] : []
  if (errors.some((e) => e.keyword === 'not')) {
    const record = body as {status?: {error_message?: unknown}; error?: unknown}
    const said = record.status?.error_message ?? record.error
    parts.push(`it is an error object${typeof said === 'string' ? ` ("${said.slice(0, 200)}")` : ''}`)
  }
  return `not ${what}: ${parts.join('; ')}`
}

/** http-fetch `check` for /simple/price: why the whole body is unusable, or undefined. */
export function simplePriceBodyProblem(body: unknown): string | undefined {
  return bodyProblem(validators().simplePriceBody, body, 'a /simple/price answer')
}

/** http-fetch `check` for market_chart: why the whole body is unusable, or undefined. */
export function marketChartBodyProblem(body: unknown): string | undefined {
  return bodyProblem(validators().marketChartBody, body, 'a market_chart answer')
}

/** The fields of one /simple/price coin entry that must be rejected, each with its reason. */
export function simplePriceEntryProblems(entry: Record<string, unknown>): Map<string, string> {
  const problems = new Map<string, string>()
  if (validators().simplePriceEntry(entry)) return problems
  for (const error of validators().simplePriceEntry.errors ?? []) {
    const field = error.instancePath.split('/')[1]
    if (field === undefined || problems.has(field)) continue
    problems.set(field, reasonFor(error, entry[field]))
  }
  return problems
}

/** Why a market_chart point cannot be used, or undefined; `amount` points (caps, volumes) may be 0. */
export function chartPointProblem(point: unknown, kind: 'price' | 'amount' = 'price'): string | undefined {
  const validate = kind === 'price' ? validators().pricePoint : validators().amountPoint
  if (validate(point)) return undefined
  const error = validate.errors![0]
  const index = Number(error.instancePath.split('/')[1])
  const value = Array.isArray(point) && Number.isInteger(index) ? point[index] : point
  if (error.instancePath === '')
    return error.keyword === 'type' ? `not a [time, value] pair (${kindOf(point)})` : reasonFor(error, point)
  return `${index === 0 ? 'time' : 'value'} ${reasonFor(error, value)}`
}
