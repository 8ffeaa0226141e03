/**
 * A small, safe expression language for the map and filter transforms, e.g. `symbol == 'BTC' and price_usd > 1000`
 * or `round(price_usd * 0.92, 2)`. Text is parsed once into a tree of closures, never handed to eval/new Function,
 * so a pipeline file cannot run arbitrary code, and evaluation costs a few function calls per record (hot path).
 *
 * Grammar, loosest binding first:
 *   c ? a : b  ·  or, ||  ·  and, &&  ·  not, !  ·  == != < <= > >= [not] in (…)  ·  + -  ·  * / %  ·  unary -
 * Operands: numbers, 'text' or "text" (backslash escapes), true, false, null, field names (`odd name` in backticks),
 * calls of the functions in expression-functions.ts, parentheses. A missing field is null; see that file for how
 * null and mixed types behave (never an exception).
 */
import {EtlError} from '../errors.js'
import type {EtlRecord} from '../plugin-types.js'
import {FUNCTIONS, add, arithmetic, compare, equals, isNumber, truthy, type Value} from './expression-functions.js'
import {ExpressionError, tokenize, type Token} from './expression-tokens.js'

export {ExpressionError}

/** One-paragraph reference for config schema descriptions (`etl plugins`, docs). */
export const EXPRESSION_HELP =
  "Expressions: field names (`odd name` in backticks; a missing field is null), numbers, 'text', true, false, " +
  'null; + - * / % (+ also joins text; math on non-numbers gives null), == != < <= > >=, [not] in (a, b), ' +
  'and/or/not (also && || !), cond ? a : b, parentheses; functions: ' +
  Object.values(FUNCTIONS)
    .map((spec) => spec.help.replace(/ \(.*\)$/, ''))
    .join(', ') +
  '.'

export type CompiledExpression = (record: EtlRecord) => Value

/** Field access that never sees inherited members: a record without `constructor` must give null, not a function. */
function field(name: string): CompiledExpression {
  if (name in Object.prototype) return (record) => (Object.hasOwn(record, name) ? (record[name] ?? null) : null)
  return (record) => record[name] ?? null
}

const constant =
  (value: Value): CompiledExpression =>
  () =>
    value
const isKeyword = (token: Token | undefined, word: string): boolean => token?.kind === 'keyword' && token.text === word
type Combine = (op: string, left: CompiledExpression, right: CompiledExpression) => CompiledExpression

class Parser {
  private index = 0

  constructor(private readonly tokens: Token[]) {}

  parse(): CompiledExpression {
    const expression = this.conditional()
    const next = this.peek()
    if (next.kind !== 'end') throw this.error(`unexpected ${describe(next)}`, next)
    return expression
  }

  private peek = (): Token => this.tokens[this.index]
  private take = (): Token => this.tokens[this.index++]

  private accept(...texts: string[]): Token | undefined {
    const token = this.peek()
    if ((token.kind === 'op' || token.kind === 'keyword') && texts.includes(token.text)) return this.take()
    return undefined
  }

  private expect(text: string, context: string): void {
    if (!this.accept(text)) throw this.error(`expected "${text}" ${context} but found ${describe(this.peek())}`)
  }

  private error(message: string, token: Token = this.peek()): ExpressionError {
    return new ExpressionError(message, token.pos + 1)
  }

  private conditional(): CompiledExpression {
    const test = this.or()
    if (!this.accept('?')) return test
    const yes = this.conditional()
    this.expect(':', 'after the "?" branch')
    const no = this.conditional()
    return (r) => (truthy(test(r)) ? yes(r) : no(r))
  }

  /** Left-associative binary levels: `operand (op operand)*`, each pair combined by `build`. */
  private chain(ops: string[], operand: () => CompiledExpression, build: Combine): CompiledExpression {
    let left = operand()
    let op: Token | undefined
    while ((op = this.accept(...ops))) left = build(op.text, left, operand())
    return left
  }

  private or(): CompiledExpression {
    return this.chain(
      ['or', '||'],
      () => this.and(),
      (_, a, b) => (r) => truthy(a(r)) || truthy(b(r)),
    )
  }

  private and(): CompiledExpression {
    return this.chain(
      ['and', '&&'],
      () => this.not(),
      (_, a, b) => (r) => truthy(a(r)) && truthy(b(r)),
    )
  }

  private not(): CompiledExpression {
    if (this.accept('not', '!')) {
      const operand = this.not()
      return (r) => !truthy(operand(r))
    }
    return this.comparison()
  }

  private comparison(): CompiledExpression {
    const left = this.additive()
    const negated = isKeyword(this.peek(), 'not') && isKeyword(this.tokens[this.index + 1], 'in')
    if (negated) this.take()
    if (this.accept('in')) return this.membership(left, negated)
    const op = this.accept('==', '!=', '<', '<=', '>', '>=')
    if (!op) return left
    const right = this.additive()
    const chained = this.peek()
    if (chained.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(chained.text)) {
      throw this.error(`comparisons cannot be chained; combine them with "and"`, chained)
    }
    const cmp = op.text
    if (cmp === '==') return (r) => equals(left(r), right(r))
    if (cmp === '!=') return (r) => !equals(left(r), right(r))
    return (r) => compare(cmp, left(r), right(r))
  }

  private membership(value: CompiledExpression, negated: boolean): CompiledExpression {
    this.expect('(', 'after "in"')
    const options: CompiledExpression[] = [this.conditional()]
    while (this.accept(',')) options.push(this.conditional())
    this.expect(')', 'to close the "in" list')
    return (r) => {
      const v = value(r)
      for (const option of options) if (equals(v, option(r))) return !negated
      return negated
    }
  }

  private additive(): CompiledExpression {
    return this.chain(
      ['+', '-'],
      () => this.multiplicative(),
      (op, a, b) => (op === '+' ? (r) => add(a(r), b(r)) : (r) => arithmetic('-', a(r), b(r))),
    )
  }

  private multiplicative(): CompiledExpression {
    return this.chain(
      ['*', '/', '%'],
      () => this.unary(),
      (op, a, b) => (r) => arithmetic(op, a(r), b(r)),
    )
  }

  private unary(): CompiledExpression {
    if (this.accept('-')) {
      const operand = this.unary()
      return (r) => arithmetic('-', 0, operand(r))
    }
    if (this.accept('+')) {
      const operand = this.unary()
      return (r) => {
        const value = operand(r)
        return isNumber(value) ? value : null
      }
    }
    return this.primary()
  }

  private primary(): CompiledExpression {
    const token = this.take()
    if (token.kind === 'number' || token.kind === 'string') return constant(token.value)
    if (token.kind === 'keyword' && ['true', 'false', 'null'].includes(token.text)) {
      return constant(token.text === 'null' ? null : token.text === 'true')
    }
    if (token.kind === 'name') {
      if (this.peek().text === '(' && this.peek().kind === 'op') return this.call(token)
      return field(token.text)
    }
    if (token.kind === 'op' && token.text === '(') {
      const inner = this.conditional()
      this.expect(')', 'to close "("')
      return inner
    }
    throw this.error(`expected a value but found ${describe(token)}`, token)
  }

  private call(name: Token): CompiledExpression {
    const key = name.text.toLowerCase()
    const spec = Object.hasOwn(FUNCTIONS, key) ? FUNCTIONS[key] : undefined
    if (!spec) throw this.error(`unknown function "${name.text}" (known: ${Object.keys(FUNCTIONS).join(', ')})`, name)
    this.take() // (
    const args: CompiledExpression[] = []
    if (!this.accept(')')) {
      do args.push(this.conditional())
      while (this.accept(','))
      this.expect(')', `to close the call of ${name.text}`)
    }
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      throw this.error(`wrong number of arguments for ${name.text}: got ${args.length}, usage ${spec.help}`, name)
    }
    const fn = spec.fn
    // Fixed-arity closures avoid allocating an argument array per record.
    if (args.length === 1) {
      const [a] = args
      return (r) => fn(a(r))
    }
    if (args.length === 2) {
      const [a, b] = args
      return (r) => fn(a(r), b(r))
    }
    return (r) => fn(...args.map((arg) => arg(r)))
  }
}

const describe = (token: Token): string => (token.kind === 'end' ? 'the end of the expression' : `"${token.text}"`)

/** Compiles expression text into a function of a record; throws ExpressionError (with a column) for bad text. */
export function compileExpression(text: string): CompiledExpression {
  if (text.trim() === '') throw new ExpressionError('the expression is empty', 1)
  return new Parser(tokenize(text)).parse()
}

/** The problem with an expression as one line ("unknown function \"rnd\" at column 1"); undefined when it is fine. */
export function validateExpression(text: string): string | undefined {
  try {
    compileExpression(text)
    return undefined
  } catch (error) {
    if (error instanceof ExpressionError) return error.message
    throw error
  }
}

/** compileExpression for plugin config: a bad expression becomes ETL_CONFIG_INVALID naming the plugin and field. */
export function compileConfigExpression(plugin: string, field: string, text: string): CompiledExpression {
  try {
    return compileExpression(text)
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error
    throw new EtlError('ETL_CONFIG_INVALID', `${plugin}: ${field}: ${error.message} in ${JSON.stringify(text)}`, {
      cause: error,
      details: {plugin, field, column: error.column},
    })
  }
}
