/** The `expect:` and `deadLetters:` of a test, resolved against the pipeline: which step or sink, and where written. */
import type {ConfigProblem} from '../config/problems.js'
import {problemAt, type ParsedYaml} from '../config/yaml-document.js'
import type {StageConfig} from '../config/load-pipeline.js'
import type {EtlRecord} from '../plugin-types.js'
import {placeOf} from './test-places.js'
import type {Expectation, ExpectedDeadLetter, ExpectedRecord, PipelineUnderTest, Target} from './test-model.js'

type Data = Record<string, unknown>

function describeStage(stage: StageConfig): string {
  return stage.label === stage.type ? stage.type : `${stage.type} "${stage.label}"`
}

function findStage(stages: StageConfig[], wanted: string | number): number {
  if (typeof wanted === 'number') return wanted >= 1 && wanted <= stages.length ? wanted - 1 : -1
  const byName = stages.findIndex((stage) => stage.label === wanted)
  return byName >= 0 ? byName : stages.findIndex((stage) => stage.type === wanted)
}

function names(stages: StageConfig[]): string {
  return stages.length === 0 ? 'none' : stages.map((stage, i) => `${i + 1} ${describeStage(stage)}`).join(', ')
}

function targetOf(
  entry: Data,
  pipeline: PipelineUnderTest,
  report: (key: string, message: string) => void,
): {target: Target; label: string} | undefined {
  if (entry.step !== undefined && entry.sink !== undefined) {
    report('sink', 'give step or sink, not both')
    return undefined
  }
  if (entry.sink !== undefined) {
    const index = findStage(pipeline.sinks, entry.sink as string)
    if (index < 0)
      return void report('sink', `no sink "${entry.sink}" in the pipeline (sinks: ${names(pipeline.sinks)})`)
    return {target: {kind: 'sink', index}, label: `sink ${describeStage(pipeline.sinks[index])}`}
  }
  if (entry.step !== undefined) {
    const index = findStage(pipeline.transforms, entry.step as string | number)
    if (index < 0)
      return void report(
        'step',
        `no step ${JSON.stringify(entry.step)} in the pipeline (steps: ${names(pipeline.transforms)})`,
      )
    return {target: {kind: 'step', index}, label: `step ${index + 1} (${describeStage(pipeline.transforms[index])})`}
  }
  const last = pipeline.transforms.length - 1
  if (last < 0) return {target: {kind: 'output'}, label: 'the input (the pipeline has no transforms)'}
  return {
    target: {kind: 'output'},
    label: `the output of the transforms (step ${last + 1}, ${describeStage(pipeline.transforms[last])})`,
  }
}

function recordsOf(parsed: ParsedYaml, records: unknown, path: (string | number)[]): ExpectedRecord[] | undefined {
  if (!Array.isArray(records)) return undefined
  return records.map((fields, i) => ({fields: fields as EtlRecord, place: placeOf(parsed, [...path, i])}))
}

export function expectationsOf(
  parsed: ParsedYaml,
  expect: unknown,
  path: (string | number)[],
  pipeline: PipelineUnderTest,
  problems: ConfigProblem[],
): Expectation[] {
  if (expect === undefined) return []
  const list = Array.isArray(expect) ? (expect as Data[]) : [expect as Data]
  const expectations: Expectation[] = []
  for (const [i, entry] of list.entries()) {
    const at = Array.isArray(expect) ? [...path, i] : path
    const resolved = targetOf(entry, pipeline, (key, message) =>
      problems.push(problemAt(parsed, [...at, key], message)),
    )
    if (!resolved) continue
    if (entry.records === undefined && entry.count === undefined) {
      problems.push(problemAt(parsed, at, 'an expectation needs records: or count:'))
      continue
    }
    expectations.push({
      ...resolved,
      records: recordsOf(parsed, entry.records, [...at, 'records']),
      count: entry.count as number | undefined,
      match: entry.match === 'exact' ? 'exact' : 'fields',
      tolerance: entry.tolerance as number | undefined,
      place: placeOf(parsed, at),
    })
  }
  return expectations
}

export function expectedDeadLetters(
  parsed: ParsedYaml,
  letters: unknown,
  path: (string | number)[],
): ExpectedDeadLetter[] | undefined {
  if (!Array.isArray(letters)) return undefined
  return (letters as Data[]).map((letter, i) => ({
    code: letter.code as string,
    plugin: letter.plugin as string | undefined,
    reason: letter.reason as string | undefined,
    record:
      letter.record === undefined
        ? undefined
        : {fields: letter.record as EtlRecord, place: placeOf(parsed, [...path, i, 'record'])},
    partition: letter.partition as number | undefined,
    place: placeOf(parsed, [...path, i]),
  }))
}
