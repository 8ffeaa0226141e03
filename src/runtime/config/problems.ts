/**
 * A problem found in a pipeline file, pinned to where the user has to look. All problems of a file are collected and
 * reported at once (fixing one error per run is the most tedious thing a config tool can do to a user).
 */
import {EtlError, type ErrorCode} from '../errors.js'

export interface ConfigProblem {
  file: string
  line: number
  col: number
  /** Dotted path of the field, e.g. `sinks[0].path`; '' for the document itself. */
  path: string
  message: string
  code: ErrorCode
}

export function formatPath(segments: readonly (string | number)[]): string {
  let out = ''
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out ? `.${segment}` : segment
  }
  return out
}

export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.col}`
  return problem.path ? `${where}  ${problem.path}  ${problem.message}` : `${where}  ${problem.message}`
}

/** Problems sorted the way an editor shows them: by line, then column. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message))
}

/** Problems that stop loading at once (the file is refused before it is read as a pipeline); they name the error. */
const FATAL_CODES: readonly ErrorCode[] = ['ETL_CONFIG_ENCODING', 'ETL_CONFIG_LIMIT']

/**
 * The one error raised for an invalid pipeline; exit code 2 like other linters' "your input is wrong". Its code is
 * ETL_CONFIG_INVALID, or ETL_CONFIG_LIMIT / ETL_CONFIG_ENCODING when a problem is one of those (so the CLI prints it).
 */
export class ConfigError extends EtlError {
  readonly problems: ConfigProblem[]

  constructor(file: string, problems: ConfigProblem[]) {
    const sorted = sortProblems(problems)
    const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`
    const code = FATAL_CODES.find((fatal) => sorted.some((problem) => problem.code === fatal)) ?? 'ETL_CONFIG_INVALID'
    super(code, `${file}: ${count}\n${sorted.map(formatProblem).join('\n')}`, {
      exitCode: 2,
      details: {problems: sorted},
    })
    this.problems = sorted
  }
}
