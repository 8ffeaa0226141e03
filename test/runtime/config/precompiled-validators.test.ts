/**
 * The build's standalone validators must check exactly as the compiled ones do: same verdicts, same errors (the
 * problems `etl validate` prints are made from them), same defaults filled in.
 */
import {expect} from 'chai'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ValidateFunction} from 'ajv'
import {createRegistry} from '../../../src/index.js'
import {ENTRY_SCHEMAS, PIPELINE_SCHEMA} from '../../../src/runtime/config/pipeline-schema.js'
import {
  schemaKey,
  schemaValidator,
  standaloneValidatorsSource,
} from '../../../src/runtime/config/precompiled-validators.js'
import {createAjv} from '../../../src/runtime/config/schema-problems.js'

const require = createRequire(import.meta.url)
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Written inside the checkout (.etl/ is ignored), where its requires of ajv's runtime helpers resolve. */
async function generatedModule(schemas: object[]): Promise<Record<string, ValidateFunction>> {
  const root = join(REPO, '.etl', 'test-validators')
  mkdirSync(root, {recursive: true})
  const file = join(mkdtempSync(join(root, 'run-')), 'validators.cjs')
  writeFileSync(file, await standaloneValidatorsSource(schemas))
  return require(file) as Record<string, ValidateFunction>
}

/** Verdict, errors (without the schema objects, which are copies in generated code) and the data after defaults. */
function outcome(validate: ValidateFunction, data: unknown) {
  const copy = structuredClone(data)
  const valid = validate(copy)
  const errors = (validate.errors ?? []).map(({parentSchema, schema, ...rest}) => ({
    ...rest,
    parentSchema: JSON.stringify(parentSchema),
    schema: JSON.stringify(schema),
  }))
  return {valid, errors, copy}
}

const PIPELINES: unknown[] = [
  {sinks: [{type: 'stdout'}]},
  {kafka: {topic: 'bad topic!', partitions: 0, key: ''}, sinks: []},
  {kafka: {brokers: 'host', clientt: 'x'}, source: {type: 'replay', retry: {maxAttempts: -1}}, sinks: 'csv'},
  {name: 5, charts: [{data: 'sometimes', every: '1 minute'}], shutdown: {grace: 'soon'}, sinks: [{}]},
  'not a mapping',
]

describe('precompiled validators', () => {
  it('generated pipeline and entry validators: the same verdicts, errors and defaults as compiled ones', async () => {
    const schemas = [PIPELINE_SCHEMA, ...Object.values(ENTRY_SCHEMAS)]
    const generated = await generatedModule(schemas)
    for (const schema of schemas) {
      const standalone = generated[schemaKey(schema)]
      expect(standalone, 'generated under its key').to.be.a('function')
      const compiled = createAjv().compile(schema)
      for (const data of PIPELINES) expect(outcome(standalone, data)).to.deep.equal(outcome(compiled, data))
    }
    expect(outcome(generated[schemaKey(PIPELINE_SCHEMA)], PIPELINES[1]).errors.length).to.be.greaterThan(2)
  })

  it("built-in plugins' generated validators agree with compiled ones on defaults and on bad configs", async () => {
    const definitions = createRegistry().list()
    const generated = await generatedModule(definitions.map((definition) => definition.configSchema))
    const configs: unknown[] = [{}, {path: 5, unknown: true}, {size: '1 week', field: ['x']}, null]
    for (const definition of definitions) {
      const standalone = generated[schemaKey(definition.configSchema)]
      const compiled = createAjv().compile(definition.configSchema)
      for (const config of configs) {
        expect(outcome(standalone, config), `${definition.kind} ${definition.name}`).to.deep.equal(
          outcome(compiled, config),
        )
      }
    }
  })

  it('a schema the build did not generate (a third-party plugin, a changed one) is compiled, once', () => {
    const schema = {type: 'object', properties: {n: {type: 'integer', default: 3}}, additionalProperties: false}
    let compiles = 0
    const ajv = () => {
      compiles++
      return createAjv()
    }
    const validate = schemaValidator(schema, ajv)
    const data: Record<string, unknown> = {}
    expect(validate(data)).to.equal(true)
    expect(data).to.deep.equal({n: 3})
    expect(schemaValidator(schema, ajv)).to.equal(validate)
    expect(compiles).to.equal(1)
    expect(schemaKey({...schema})).to.equal(schemaKey(schema))
    expect(schemaKey({...schema, required: ['n']})).to.not.equal(schemaKey(schema))
  })
})
