/**
 * CSV text for a batch of records, byte for byte what csv-stringify writes with the csv sink's options, for less.
 * csv-stringify was the largest single item in the process stage's profile (see docs/BENCHMARKS.md): it normalises
 * options and dispatches casts for every cell, generality the sink's flat rows of strings and numbers do not need.
 * So the common case, a one-character delimiter and cells that are strings, numbers, booleans or empty, is written
 * here; everything else (a multi-character delimiter, whose quoting rule has subtleties, or a row holding an object or
 * a Date) goes through csv-stringify itself. A unit test compares both on awkward values for several delimiters.
 */
import {stringify, type Options as StringifyOptions} from 'csv-stringify/sync'

export interface CsvRowOptions {
  delimiter: string
  /** Applied to text cells only (never to numbers), like csv-stringify's `cast.string`: the formula guard. */
  castString: (text: string) => string
}

export type CsvRowWriter = (records: readonly Record<string, unknown>[]) => string

/** csv-stringify's options for the same output: rows end with \n, booleans are written as true/false. */
export function csvStringifyOptions({delimiter, castString}: CsvRowOptions): StringifyOptions {
  return {delimiter, eof: true, cast: {boolean: (value) => String(value), string: castString}}
}

/** Writes the given columns of each record, one line per record, each line ending with \n. */
export function createCsvRowWriter(columns: readonly string[], options: CsvRowOptions): CsvRowWriter {
  const stringifyOptions = csvStringifyOptions(options)
  const viaCsvStringify = (rows: unknown[][]) => stringify(rows, stringifyOptions)
  const {delimiter, castString} = options
  if (delimiter.length !== 1)
    return (records) => viaCsvStringify(records.map((record) => columns.map((column) => record[column])))

  /**
   * csv-stringify quotes a cell holding the delimiter, a quote, LF or CR, and doubles its quotes. A regular expression
   * finds them faster than a loop over char codes; \uXXXX matches the delimiter as the one UTF-16 unit it is.
   */
  const special = new RegExp(`[\\u${delimiter.charCodeAt(0).toString(16).padStart(4, '0')}"\\n\\r]`)
  const quoteIfNeeded = (text: string): string => (special.test(text) ? `"${text.replaceAll('"', '""')}"` : text)
  /** Numbers and booleans are written with digits, letters, ".", "+" and "-" only: no quoting for other delimiters. */
  const quoteNonText = /[\w.+-]/.test(delimiter) ? quoteIfNeeded : (text: string) => text

  return (records) => {
    let out = ''
    for (const record of records) {
      let line = ''
      let plain = true
      for (let i = 0; i < columns.length && plain; i++) {
        const value = record[columns[i]]
        let text: string
        switch (typeof value) {
          case 'string':
            text = quoteIfNeeded(castString(value))
            break
          case 'number':
          case 'bigint':
          case 'boolean':
            text = quoteNonText(String(value))
            break
          case 'undefined':
            text = ''
            break
          default:
            // null is an empty cell; an object or a Date is cast by csv-stringify, so the whole row goes there.
            if (value !== null) plain = false
            text = ''
        }
        line += i === 0 ? text : delimiter + text
      }
      out += plain ? `${line}\n` : viaCsvStringify([columns.map((column) => record[column])])
    }
    return out
  }
}
