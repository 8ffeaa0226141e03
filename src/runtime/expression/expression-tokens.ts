/** The lexer of the expression language (grammar in expression.ts): text → tokens with their positions. */
import type {Value} from './expression-functions.js'

export class ExpressionError extends Error {
  /** 1-based column of the problem within the expression text. */
  readonly column: number

  constructor(message: string, column: number) {
    super(`${message} at column ${column}`)
    this.name = 'ExpressionError'
    this.column = column
  }
}

export type TokenKind = 'number' | 'string' | 'name' | 'keyword' | 'op' | 'end'
export interface Token {
  kind: TokenKind
  text: string
  value?: Value
  pos: number
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null'])
const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '!', '?', ':']
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y
const NAME = /[A-Za-z_$][\w$]*/y
const ESCAPES: Record<string, string> = {n: '\n', t: '\t', r: '\r', '0': '\0'}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const ch = text[i]
    if (/\s/.test(ch)) {
      i++
      continue
    }
    NUMBER.lastIndex = i
    NAME.lastIndex = i
    let match = NUMBER.exec(text)
    if (match) {
      if (!Number.isFinite(Number(match[0]))) throw new ExpressionError(`number ${match[0]} is out of range`, i + 1)
      tokens.push({kind: 'number', text: match[0], value: Number(match[0]), pos: i})
      i += match[0].length
    } else if ((match = NAME.exec(text))) {
      const lower = match[0].toLowerCase()
      const keyword = KEYWORDS.has(lower)
      tokens.push({kind: keyword ? 'keyword' : 'name', text: keyword ? lower : match[0], pos: i})
      i += match[0].length
    } else if (ch === "'" || ch === '"') {
      let value = ''
      let j = i + 1
      while (j < text.length && text[j] !== ch) {
        if (text[j] === '\\' && j + 1 < text.length) {
          j++
          value += ESCAPES[text[j]] ?? text[j]
        } else value += text[j]
        j++
      }
      if (j >= text.length) throw new ExpressionError(`unterminated text starting with ${ch}`, i + 1)
      tokens.push({kind: 'string', text: text.slice(i, j + 1), value, pos: i})
      i = j + 1
    } else if (ch === '`') {
      const end = text.indexOf('`', i + 1)
      if (end < 0) throw new ExpressionError('unterminated `field name`', i + 1)
      if (end === i + 1) throw new ExpressionError('empty `field name`', i + 1)
      tokens.push({kind: 'name', text: text.slice(i + 1, end), pos: i})
      i = end + 1
    } else {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, i))
      if (!op) {
        const hint =
          ({'=': ' (use == to compare)', '&': ' (use and)', '|': ' (use or)'} as Record<string, string>)[ch] ?? ''
        throw new ExpressionError(`unexpected character "${ch}"${hint}`, i + 1)
      }
      tokens.push({kind: 'op', text: op, pos: i})
      i += op.length
    }
  }
  tokens.push({kind: 'end', text: 'end of expression', pos: text.length})
  return tokens
}
