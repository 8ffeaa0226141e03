/**
 * Positions inside a JSON or YAML file a plugin reads (a chart spec, a mapping file), so that its validateConfig can
 * report a problem as file:line:col the way etl reports problems in pipeline files.
 */
import {locate, parseYaml} from '../runtime/config/yaml-document.js'

export interface SourcePosition {
  line: number
  col: number
}

export interface SourceLocator {
  /**
   * Where `path` (e.g. ['encoding', 'x', 'field']) is in the text: its value, or its key with `onKey` (for "unknown
   * field" problems). A path that does not exist gives the position of its deepest existing ancestor.
   */
  locate(path: readonly (string | number)[], onKey?: boolean): SourcePosition
}

/** Parses `text` (JSON is YAML) keeping source ranges; `file` only names it. Unparseable text locates to 1:1. */
export function sourceLocator(file: string, text: string): SourceLocator {
  const parsed = parseYaml(file, text)
  return {locate: (path, onKey = false) => locate(parsed, path, onKey)}
}
