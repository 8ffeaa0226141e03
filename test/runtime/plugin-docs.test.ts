import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {createRegistry} from '../../src/index.js'
import {createAjv} from '../../src/runtime/config/schema-problems.js'
import {renderPluginsMarkdown} from '../../src/runtime/plugin-docs.js'
import {Ajv} from 'ajv'

describe('built-in plugin definitions', () => {
  const definitions = createRegistry().list()

  it('docs/PLUGINS.md is generated from the current schemas (run `npm run docs` after changing one)', () => {
    const onDisk = readFileSync(join(import.meta.dirname, '../../docs/PLUGINS.md'), 'utf8')
    expect(onDisk).to.equal(renderPluginsMarkdown(definitions) + '\n')
  })

  for (const definition of definitions) {
    describe(`${definition.kind} ${definition.name}`, () => {
      it('has a schema that compiles under strict ajv and rejects unknown fields', () => {
        const strict = new Ajv({strict: true, strictTypes: false, allowUnionTypes: true})
        expect(() => strict.compile(definition.configSchema)).to.not.throw()
        expect(definition.configSchema.additionalProperties).to.equal(false)
      })

      it('describes every field, for `etl plugins` and the docs', () => {
        for (const [field, schema] of Object.entries(definition.configSchema.properties)) {
          expect(schema.description, `${field} has no description`).to.be.a('string').and.not.equal('')
        }
      })

      it('accepts the defaults alone when nothing is required', () => {
        if ((definition.configSchema.required ?? []).length > 0) {
          expect(createAjv().validate(definition.configSchema, {})).to.equal(false)
        } else {
          const config = {}
          expect(createAjv().validate(definition.configSchema, config)).to.equal(true)
        }
      })
    })
  }
})
