/** A loaded `etl test` file: what each test feeds in and what it expects, with where each expectation was written. */
import type {StageConfig} from '../config/load-pipeline.js'
import type {EtlRecord} from '../plugin-types.js'

/** Where something is written in the test file, for the report. */
export interface Place {
  file: string
  line: number
  col: number
}

/** The pipeline as far as a test runs it: transforms (one chain per partition) and sinks' routing. */
export interface PipelineUnderTest {
  /** The pipeline file, or the test file for inline steps. */
  file: string
  dir: string
  name: string
  partitions: number
  /** The expression that keys input records' messages: the pipeline's (kafka.key), or the test file's `key:`. */
  key?: string
  transforms: StageConfig[]
  sinks: StageConfig[]
}

/** One message of the topic: its value as the source stage would produce it (JSON), and its partition. */
export interface InputMessage {
  value: string
  partition: number
}

export interface InputBatch {
  partition: number
  messages: InputMessage[]
}

export type Target = {kind: 'output'} | {kind: 'step'; index: number} | {kind: 'sink'; index: number}

export interface ExpectedRecord {
  fields: EtlRecord
  place: Place
}

export interface Expectation {
  target: Target
  /** How the report names the target, e.g. 'step 2 (ohlc "weekly")'. */
  label: string
  records?: ExpectedRecord[]
  count?: number
  match: 'fields' | 'exact'
  tolerance?: number
  place: Place
}

export interface ExpectedDeadLetter {
  code: string
  plugin?: string
  reason?: string
  record?: ExpectedRecord
  partition?: number
  place: Place
}

export interface TestCase {
  name: string
  place: Place
  batches: InputBatch[]
  expectations: Expectation[]
  /** Undefined: no dead letter may be produced. */
  deadLetters?: ExpectedDeadLetter[]
  deadLettersPlace?: Place
  counts?: Record<string, number>
  flush: boolean
}

export interface TestFile {
  file: string
  pipeline: PipelineUnderTest
  cases: TestCase[]
}
