/** Positions in a test file, for its problems (file:line:col) and for the report's "expected at". */
import {locate, type ParsedYaml} from '../config/yaml-document.js'
import type {Place} from './test-model.js'

export function placeOf(parsed: ParsedYaml, path: (string | number)[]): Place {
  return {file: parsed.file, ...locate(parsed, path)}
}
