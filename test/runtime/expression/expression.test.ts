import {expect} from 'chai'
import {
  compileConfigExpression,
  compileExpression,
  ExpressionError,
  validateExpression,
} from '../../../src/runtime/expression/expression.js'
import {EtlError} from '../../../src/runtime/errors.js'

const record = {
  symbol: 'BTC',
  price_usd: 29457.235,
  volume: 0,
  vs_currency: 'usd',
  active: true,
  note: null,
  'odd name': 7,
  text_number: '12.5',
}

const evaluate = (text: string, data: Record<string, unknown> = record) => compileExpression(text)(data)

describe('expression language', () => {
  const cases: [string, unknown][] = [
    // arithmetic and precedence
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['7 % 4', 3],
    ['-price_usd', -29457.235],
    ['2 * -3', -6],
    ['price_usd * 0.92', 29457.235 * 0.92],
    ['1.5e3 + .5', 1500.5],
    ['1 / 0', null],
    ['missing + 1', null],
    ["'x' * 2", null],
    ["symbol + '/' + upper(vs_currency)", 'BTC/USD'],
    ["'n=' + 3", 'n=3'],
    // comparison and logic
    ["symbol == 'BTC' and price_usd > 1000", true],
    ["symbol == 'ETH' or price_usd >= 29457.235", true],
    ['price_usd < 1000 || volume == 0', true],
    ['price_usd > 1000 && volume > 0', false],
    ["symbol != 'BTC'", false],
    ['not volume', true],
    ['!active', false],
    ['not price_usd > 1 and true', false],
    ["'abc' < 'abd'", true],
    ["price_usd > '1'", false],
    ['missing > 0', false],
    ['missing < 0', false],
    ['missing == null', true],
    ['note == null', true],
    ['note != null', false],
    ["symbol in ('ETH', 'BTC')", true],
    ["symbol not in ('ETH', 'BTC')", false],
    ['volume in (1, 2)', false],
    ["price_usd > 1 ? 'up' : 'down'", 'up'],
    ["missing ? 'yes' : missing2 ? 'maybe' : 'no'", 'no'],
    // literals, names, keywords
    ['true', true],
    ['NULL', null],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'it\\'s'", "it's"],
    ['`odd name` * 2', 14],
    ["SYMBOL == 'BTC' AND TRUE", false], // field names are case-sensitive, keywords are not
    // functions
    ['round(price_usd, 2)', 29457.24],
    ['round(price_usd)', 29457],
    ['round(1.005, 2)', 1.01],
    ['round(2.675, 2)', 2.68],
    ['round(0.285, 2)', 0.29],
    ['round(123456.785, 2)', 123456.79],
    ['round(1.2345, 3)', 1.235],
    ['round(1.2344, 3)', 1.234],
    ['round(-1.005, 2)', -1.01],
    ['round(-2.5)', -3],
    ['round(1234.5, -2)', 1200],
    ['abs(-3)', 3],
    ['floor(2.7) + ceil(2.1)', 5],
    ['min(3, missing, 1, 2)', 1],
    ['max(3, missing, 1, 2)', 3],
    ['min(missing)', null],
    ["lower('ABC') + upper('d')", 'abcD'],
    ['lower(missing)', null],
    ['coalesce(missing, note, 5, 6)', 5],
    ['coalesce(missing)', null],
    ['number(text_number) * 2', 25],
    ["number('abc')", null],
    ['string(42)', '42'],
    ['ROUND(2.5)', 3],
  ]
  for (const [text, expected] of cases) {
    it(`${text} → ${JSON.stringify(expected)}`, () => expect(evaluate(text)).to.deep.equal(expected))
  }

  it('never reaches inherited members of a record', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(evaluate(name, {}), name).to.equal(null)
      expect(evaluate(`\`${name}\` == null`, {}), name).to.equal(true)
    }
    expect(evaluate('constructor', {constructor: 5})).to.equal(5)
  })

  it('compiles once and evaluates many records', () => {
    const isBig = compileExpression('price_usd > 100')
    expect([50, 150, 100.5, 100].map((price_usd) => isBig({price_usd}))).to.deep.equal([false, true, true, false])
  })

  const errors: [string, string, number][] = [
    ['', 'empty', 1],
    ['   ', 'empty', 1],
    ['symbol = 1', 'use ==', 8],
    ['a & b', 'use and', 3],
    ['a | b', 'use or', 3],
    ['a < b < c', 'cannot be chained', 7],
    ['rnd(1)', 'unknown function "rnd"', 1],
    ['constructor(1)', 'unknown function', 1],
    ['round()', 'wrong number of arguments for round', 1],
    ['abs(1, 2)', 'wrong number of arguments for abs', 1],
    ['(1 + 2', 'expected ")"', 7],
    ['1 +', 'expected a value', 4],
    ['a b', 'unexpected "b"', 3],
    ["'abc", 'unterminated text', 1],
    ['`abc', 'unterminated', 1],
    ['x in 1', 'expected "("', 6],
    ['a ? b', 'expected ":"', 6],
    ['1e999', 'out of range', 1],
    ['process.exit(1)', 'unexpected character "."', 8],
    ['price_usd # 2', 'unexpected character "#"', 11],
  ]
  for (const [text, message, column] of errors) {
    it(`rejects ${JSON.stringify(text)} (${message}, column ${column})`, () => {
      expect(() => compileExpression(text))
        .to.throw(ExpressionError)
        .that.satisfies((error: ExpressionError) => error.column === column && error.message.includes(message))
      expect(validateExpression(text)).to.include(message).and.include(`at column ${column}`)
    })
  }

  it('validateExpression returns undefined for a good expression', () => {
    expect(validateExpression("symbol == 'BTC' and round(price_usd, 2) > 1000")).to.equal(undefined)
  })

  it('compileConfigExpression reports ETL_CONFIG_INVALID naming plugin, field and expression', () => {
    expect(() => compileConfigExpression('filter', 'where', 'price >> 1'))
      .to.throw(EtlError)
      .that.satisfies(
        (error: EtlError) =>
          error.code === 'ETL_CONFIG_INVALID' &&
          error.message.startsWith('filter: where: ') &&
          error.message.includes('"price >> 1"') &&
          error.details?.column === 8,
      )
  })
})
