/**
 * CSV injection ("formula injection", OWASP): a spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-`
 * or `@` as a formula (and some also after a leading tab or carriage return), so a record whose symbol is
 * `=HYPERLINK("http://evil","click")` or `@SUM(1+1)*cmd|' /C calc'!A0` becomes a live link or a command. Such text
 * cells get a leading single quote, which spreadsheets show as text and do not evaluate.
 *
 * Numbers stay as they are: JS numbers never pass through here (csv-stringify casts them separately), and text that
 * is a plain decimal number ("-5.2", "+3", "-1e-7") is left alone too, since a spreadsheet reads it as a number, not
 * a formula; everything else starting with a trigger character ("-5+3", "-cmd", "+A1") is quoted.
 */

/** = + - @ tab CR, compared as char codes: this runs for every text cell a csv sink writes. */
function isTrigger(code: number): boolean {
  return code === 0x3d || code === 0x2b || code === 0x2d || code === 0x40 || code === 0x09 || code === 0x0d
}
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** The text as a spreadsheet will show it, never as a formula. */
export function neutralizeFormula(text: string): string {
  if (text.length === 0 || !isTrigger(text.charCodeAt(0)) || PLAIN_NUMBER.test(text)) return text
  return `'${text}`
}

/**
 * csv-stringify's `cast.string` for a csv sink config: guarding unless `neutralizeFormulas: false`. Takes the config
 * loosely so the sink's config type needs no change to carry the (schema-defaulted) field.
 */
export function formulaGuardCast(config: object): (value: string) => string {
  const enabled = (config as {neutralizeFormulas?: unknown}).neutralizeFormulas !== false
  return enabled ? neutralizeFormula : (value) => value
}
