/** The format of test/fixtures/pipelines/invalid/<case>/expected.json, read by the loader and the CLI tests alike. */
export interface ExpectedProblem {
  line: number
  col?: number
  path?: string
  code?: string
  messageIncludes?: string
}

export interface ExpectedPipelineError {
  code: string
  exitCode: number
  problems: ExpectedProblem[]
}
