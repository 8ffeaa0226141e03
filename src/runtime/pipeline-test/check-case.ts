/** Compares what a test produced with what it expects: a list of failures, each with a heading and its lines. */
import type {EtlRecord} from '../plugin-types.js'
import {deadLetterDifferences, recordDifferences} from './compare-records.js'
import type {CaseOutput} from './run-test-case.js'
import type {Expectation, Place, TestCase} from './test-model.js'

export interface Failure {
  heading: string
  lines: string[]
}

const at = (place: Place) => `${place.file}:${place.line}:${place.col}`

function recordsAt(output: CaseOutput, expectation: Expectation): EtlRecord[] {
  const {target} = expectation
  if (target.kind === 'step') return output.steps[target.index]
  if (target.kind === 'sink') return output.sinks[target.index]
  return output.output
}

function expectationFailure(output: CaseOutput, expectation: Expectation): Failure | undefined {
  const actual = recordsAt(output, expectation)
  const lines: string[] = []
  if (expectation.count !== undefined && actual.length !== expectation.count) {
    lines.push(`expected ${expectation.count} record(s), got ${actual.length}`)
  }
  if (expectation.records) lines.push(...recordDifferences(expectation.records, actual, expectation))
  if (lines.length === 0) return undefined
  return {heading: `${expectation.label}, expected at ${at(expectation.place)}:`, lines: [...new Set(lines)]}
}

function countsFailure(output: CaseOutput, counts: Record<string, number>): Failure | undefined {
  const lines = Object.entries(counts)
    .filter(([key, value]) => (output.counts[key] ?? 0) !== value)
    .map(([key, value]) => `${key}: expected ${value}, got ${output.counts[key] ?? 0}`)
  if (lines.length === 0) return undefined
  const known = Object.keys(output.counts)
  return {
    heading: 'counts:',
    lines: [
      ...lines,
      `(counted: ${known.length === 0 ? 'nothing' : known.map((k) => `${k} ${output.counts[k]}`).join(', ')})`,
    ],
  }
}

export function checkCase(test: TestCase, output: CaseOutput): Failure[] {
  if (output.error) return [{heading: 'the pipeline failed:', lines: [`${output.error.code}: ${output.error.message}`]}]
  const failures: Failure[] = []
  for (const expectation of test.expectations) {
    const failure = expectationFailure(output, expectation)
    if (failure) failures.push(failure)
  }
  const letters = deadLetterDifferences(test.deadLetters, output.deadLetters)
  if (letters.length > 0) {
    const where = test.deadLettersPlace
      ? `expected at ${at(test.deadLettersPlace)}`
      : 'none expected (the test has no deadLetters:)'
    failures.push({heading: `dead letters, ${where}:`, lines: letters})
  }
  const counts = test.counts ? countsFailure(output, test.counts) : undefined
  if (counts) failures.push(counts)
  return failures
}
