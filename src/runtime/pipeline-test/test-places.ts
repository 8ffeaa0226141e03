/** Positions in a test file, for its problems (file:line:col) and for the report's "expected at". */
import {formatPath, type ConfigProblem} from '../config/problems.js'
import {locate, type ParsedYaml} from '../config/yaml-document.js'
import type {Place} from './test-model.js'

export function problemAt(
  parsed: ParsedYaml,
  path: (string | number)[],
  message: string,
  onKey = false,
): ConfigProblem {
  return {
    file: parsed.file,
    ...locate(parsed, path, onKey),
    path: formatPath(path),
    message,
    code: 'ETL_CONFIG_INVALID',
  }
}

export function placeOf(parsed: ParsedYaml, path: (string | number)[]): Place {
  return {file: parsed.file, ...locate(parsed, path)}
}
