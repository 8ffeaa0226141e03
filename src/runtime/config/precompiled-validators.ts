/**
 * Compiling a JSON Schema into a validator is most of what `etl validate` spends its time on, and the built-in schemas
 * (the pipeline file's, its entries', the test file's, every built-in plugin's config) are the same on every run. So
 * `npm run build` writes their validators once as ajv standalone code (scripts/write-schema-validators.mjs) next to
 * this module's built copy, keyed by a hash of each schema's JSON text, and schemaValidator() takes a validator from
 * there when its schema is one of them. Any other schema (a third-party plugin's, a built-in one changed since the
 * build, a run from src/) is compiled as before. Both come from createAjv's options, so they report the same errors.
 */
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import type {Ajv, ValidateFunction} from 'ajv'
import {createAjv} from './schema-problems.js'

const require = createRequire(import.meta.url)

/** The generated validators, beside this module (only `npm run build` writes it, into dist/). */
export const GENERATED_VALIDATORS = fileURLToPath(new URL('./schema-validators.generated.cjs', import.meta.url))

/** The key of a schema in the generated module: a hash of its JSON text, so a changed schema is simply not found. */
export function schemaKey(schema: object): string {
  return `s${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 40)}`
}

let generated: Record<string, ValidateFunction | undefined> | null | undefined

function generatedValidators(): Record<string, ValidateFunction | undefined> | null {
  if (generated === undefined) {
    generated = existsSync(GENERATED_VALIDATORS)
      ? (require(GENERATED_VALIDATORS) as Record<string, ValidateFunction | undefined>)
      : null
  }
  return generated
}

const validators = new WeakMap<object, ValidateFunction>()

/** The validator of `schema`: the build's when it generated one for exactly this schema, else `ajv()`'s compile. */
export function schemaValidator<T = unknown>(schema: object, ajv: () => Ajv): ValidateFunction<T> {
  let validate = validators.get(schema)
  if (!validate) {
    validate = generatedValidators()?.[schemaKey(schema)] ?? ajv().compile(schema)
    validators.set(schema, validate)
  }
  return validate as ValidateFunction<T>
}

/** One CommonJS module exporting a validator per schema under its schemaKey (it requires ajv's runtime helpers). */
export async function standaloneValidatorsSource(schemas: object[]): Promise<string> {
  // A CommonJS module: its default import is module.exports, which holds the function as `default`.
  const {default: standalone} = await import('ajv/dist/standalone/index.js')
  const {_} = require('ajv') as typeof import('ajv')
  const ajv = createAjv({code: {source: true, formats: _`require("ajv-formats/dist/formats").fullFormats`}})
  const exports: Record<string, string> = {}
  for (const schema of schemas) {
    const key = schemaKey(schema)
    if (key in exports) continue
    const id = (schema as {$id?: unknown}).$id
    if (typeof id === 'string') ajv.addSchema(schema)
    else ajv.addSchema(schema, key)
    exports[key] = typeof id === 'string' ? id : key
  }
  return standalone.default(ajv, exports)
}
