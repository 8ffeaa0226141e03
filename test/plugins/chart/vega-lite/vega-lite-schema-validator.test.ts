import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import type {ValidateFunction} from 'ajv'
import {expect} from 'chai'
import {
  loadSchemaValidator,
  standaloneValidatorSource,
  vegaLiteVersion,
} from '../../../../src/plugins/chart/vega-lite/vega-lite-schema-validator.js'
import {REPO} from '../../../support/run-cli.js'

const CACHE = join(REPO, 'node_modules', '.cache')

/** Specs that fail the schema in different ways (the problems the spec check reports are built from these errors). */
const SPECS: Record<string, unknown> = {
  valid: {data: {name: 'rows'}, mark: 'line', encoding: {x: {field: 't', type: 'temporal'}}},
  'bad mark': {data: {name: 'rows'}, layer: [{mark: 'line'}, {mark: 'lin'}]},
  'bad encoding type': {data: {name: 'rows'}, mark: 'line', encoding: {x: {field: 't', type: 'tempral'}}},
  'unknown property': {data: {name: 'rows'}, mark: 'line', encodng: {}},
  'wrong type': {data: {name: 'rows'}, mark: 'line', width: 'wide'},
}

describe('vega-lite chart: the Vega-Lite schema validator', function () {
  // Compiles the 1.9 MB schema twice (seconds each on a loaded machine).
  this.timeout(180_000)
  let dir: string
  let compiled: ValidateFunction
  let generated: ValidateFunction & {vegaLiteVersion?: string}
  before(async () => {
    // Inside the repository, so that the generated code's require('ajv/dist/runtime/…') resolves as it does in dist/.
    await mkdir(CACHE, {recursive: true})
    dir = await mkdtemp(join(CACHE, 'etl-vl-validator-'))
    const file = join(dir, 'validator.cjs')
    await writeFile(file, await standaloneValidatorSource())
    generated = createRequire(import.meta.url)(file) as typeof generated
    // From src/ there is no generated validator beside the module: this is the schema compiled at run time.
    compiled = loadSchemaValidator()
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('is stamped with the installed Vega-Lite version, so a validator built for another one is not used', () => {
    expect(generated.vegaLiteVersion)
      .to.equal(vegaLiteVersion())
      .and.match(/^\d+\.\d+\.\d+/)
  })

  for (const [name, spec] of Object.entries(SPECS)) {
    it(`generated at build time, reports what the compiled schema reports: ${name}`, () => {
      const valid = compiled(structuredClone(spec))
      expect(generated(structuredClone(spec))).to.equal(valid)
      expect(valid).to.equal(name === 'valid')
      expect(generated.errors ?? null).to.deep.equal(compiled.errors ?? null)
    })
  }
})
