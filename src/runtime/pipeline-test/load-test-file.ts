/**
 * Reads an `etl test` file like a pipeline file — YAML with positions, limits, the test-file schema — and resolves
 * what it tests: a pipeline file (loaded and validated exactly as `etl run` would) or inline transform steps. Every
 * problem is collected and raised at once as a ConfigError (file:line:col, exit 2).
 */
import {dirname, resolve} from 'node:path'
import {loadPipeline, resolveStage} from '../config/load-pipeline.js'
import {ConfigError, type ConfigProblem} from '../config/problems.js'
import {schemaValidator} from '../config/precompiled-validators.js'
import {createAjv, schemaProblems} from '../config/schema-problems.js'
import {parseYaml, problemAt, readConfigFile, toData, type ParsedYaml} from '../config/yaml-document.js'
import {validateExpression} from '../expression/expression.js'
import type {PluginRegistry} from '../plugin-registry.js'
import {messageKeyOf} from '../stages/message-key.js'
import {inputBatches, type InputProblem} from './test-inputs.js'
import {placeOf} from './test-places.js'
import type {PipelineUnderTest, TestCase, TestFile} from './test-model.js'
import {TEST_FILE_SCHEMA} from './test-file-schema.js'
import {expectationsOf, expectedDeadLetters} from './test-expectations.js'

// Precompiled by the build, else compiled on first use: every command imports this module, few load a test file.
const validateTestFile = () => schemaValidator(TEST_FILE_SCHEMA, createAjv)

export interface LoadTestOptions {
  registry: PluginRegistry
  env?: NodeJS.ProcessEnv
  /** How problems and the report name the file (default: `file` as given). */
  shownAs?: string
}

type Data = Record<string, unknown>

export async function loadTestFile(file: string, options: LoadTestOptions): Promise<TestFile> {
  const text = await readConfigFile(file, 'test file')
  const shown = options.shownAs ?? file
  const parsed = parseYaml(shown, text)
  if (parsed.problems.length > 0) throw new ConfigError(shown, parsed.problems)
  const data = toData(parsed) as Data | null
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(shown, [
      problemAt(parsed, [], 'a test file must be a mapping with tests: (and pipeline: or steps:)'),
    ])
  }
  const validate = validateTestFile()
  const problems: ConfigProblem[] = validate(data) ? [] : schemaProblems(parsed, validate, data)
  const shapeOk = problems.length === 0
  // The steps' own problems are worth reporting with the schema's; the tests are only read in a well-formed file.
  const pipeline = await pipelineOf(parsed, resolve(file), data, options, problems)
  const cases = pipeline && shapeOk ? casesOf(parsed, data, pipeline, problems) : []
  if (problems.length > 0 || !pipeline) throw new ConfigError(shown, problems)
  return {file: shown, pipeline, cases}
}

async function pipelineOf(
  parsed: ParsedYaml,
  path: string,
  data: Data,
  options: LoadTestOptions,
  problems: ConfigProblem[],
) {
  const hasPipeline = typeof data.pipeline === 'string'
  if (hasPipeline === Array.isArray(data.steps)) {
    problems.push(
      problemAt(
        parsed,
        hasPipeline ? ['steps'] : [],
        'name the pipeline under test (pipeline:) or give its transforms (steps:), not both',
      ),
    )
    return undefined
  }
  const env = {...(options.env ?? process.env), ...stringValues(data.env)}
  if (hasPipeline) {
    const file = resolve(dirname(path), data.pipeline as string)
    // Its problems (with its own file:line:col) are what the user must fix first: they end the load as they are.
    const config = await loadPipeline(file, {env, registry: options.registry})
    return {
      file,
      dir: config.dir,
      name: config.name,
      partitions: config.kafka.partitions,
      key: config.kafka.key,
      transforms: config.transforms,
      sinks: config.sinks,
    }
  }
  const transforms = []
  for (const [i, entry] of (data.steps as unknown[]).entries()) {
    transforms.push(await resolveStage(parsed, options.registry, 'transform', entry, ['steps', i], problems))
  }
  if (transforms.some((stage) => stage === undefined)) return undefined
  const partitions = (data.partitions as number | undefined) ?? 1
  const key = data.key as string | undefined
  const keyProblem = key === undefined ? undefined : validateExpression(key)
  if (keyProblem) problems.push(problemAt(parsed, ['key'], `${keyProblem} in ${JSON.stringify(key)}`))
  if (keyProblem) return undefined
  return {file: path, dir: dirname(path), name: 'test', partitions, key, transforms, sinks: []} as PipelineUnderTest
}

function stringValues(env: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries((env ?? {}) as Data).map(([key, value]) => [key, String(value)]))
}

function casesOf(parsed: ParsedYaml, data: Data, pipeline: PipelineUnderTest, problems: ConfigProblem[]): TestCase[] {
  const inputTopic = {partitions: pipeline.partitions, keyOf: messageKeyOf(pipeline.key)}
  return (data.tests as Data[]).map((test, i) => {
    const path = ['tests', i]
    const inputProblems: InputProblem[] = []
    const batches = inputBatches(test.input as unknown[], inputTopic, inputProblems)
    for (const p of inputProblems) problems.push(problemAt(parsed, [...path, 'input', ...p.path], p.message))
    return {
      name: test.name as string,
      place: placeOf(parsed, [...path, 'name']),
      batches,
      expectations: expectationsOf(parsed, test.expect, [...path, 'expect'], pipeline, problems),
      deadLetters: expectedDeadLetters(parsed, test.deadLetters, [...path, 'deadLetters']),
      deadLettersPlace: test.deadLetters === undefined ? undefined : placeOf(parsed, [...path, 'deadLetters']),
      counts: test.counts as Record<string, number> | undefined,
      flush: test.flush === true,
    }
  })
}
