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

const OPERATOR_HINTS: Record<string, string> = {'=': ' (use == to compare)', '&': ' (use and)', '|': ' (use or)'}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++
      continue
    }
    const {token, next} = readToken(text, i)
    tokens.push(token)
    i = next
  }
  tokens.push({kind: 'end', text: 'end of expression', pos: text.length})
  return tokens
}

/** The token that starts at `i` (not a space), and where the next one may start. */
function readToken(text: string, i: number): {token: Token; next: number} {
  const ch = text[i]
  NUMBER.lastIndex = i
  NAME.lastIndex = i
  let match = NUMBER.exec(text)
  if (match) {
    if (!Number.isFinite(Number(match[0]))) throw new ExpressionError(`number ${match[0]} is out of range`, i + 1)
    return {token: {kind: 'number', text: match[0], value: Number(match[0]), pos: i}, next: i + match[0].length}
  }
  if ((match = NAME.exec(text))) {
    const lower = match[0].toLowerCase()
    const keyword = KEYWORDS.has(lower)
    const token: Token = {kind: keyword ? 'keyword' : 'name', text: keyword ? lower : match[0], pos: i}
    return {token, next: i + match[0].length}
  }
  if (ch === "'" || ch === '"') return readString(text, i)
  if (ch === '`') return readQuotedName(text, i)
  const op = OPERATORS.find((candidate) => text.startsWith(candidate, i))
  if (!op) throw new ExpressionError(`unexpected character "${ch}"${OPERATOR_HINTS[ch] ?? ''}`, i + 1)
  return {token: {kind: 'op', text: op, pos: i}, next: i + op.length}
}

/** A quoted text starting at `i`, with its escapes resolved in `value`. */
function readString(text: string, i: number): {token: Token; next: number} {
  const quote = text[i]
  let value = ''
  let j = i + 1
  while (j < text.length && text[j] !== quote) {
    if (text[j] === '\\' && j + 1 < text.length) {
      j++
      value += ESCAPES[text[j]] ?? text[j]
    } else value += text[j]
    j++
  }
  if (j >= text.length) throw new ExpressionError(`unterminated text starting with ${quote}`, i + 1)
  return {token: {kind: 'string', text: text.slice(i, j + 1), value, pos: i}, next: j + 1}
}

/** A `field name` in backquotes starting at `i`. */
function readQuotedName(text: string, i: number): {token: Token; next: number} {
  const end = text.indexOf('`', i + 1)
  if (end < 0) throw new ExpressionError('unterminated `field name`', i + 1)
  if (end === i + 1) throw new ExpressionError('empty `field name`', i + 1)
  return {token: {kind: 'name', text: text.slice(i + 1, end), pos: i}, next: end + 1}
}
