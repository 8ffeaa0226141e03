/**
 * The ajv validator of Vega-Lite's JSON schema (1.9 MB). Compiling it takes seconds, so `npm run build` writes it once
 * as standalone code (scripts/write-vega-lite-validator.mjs) next to this module's built copy; the spec check loads
 * that file, and compiles the schema itself only when it is missing (running from src/, or after a `tsc` alone) or
 * was generated for another Vega-Lite version than the one installed. Both come from the same schema and ajv options,
 * so they report the same errors.
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv, type Options, type ValidateFunction} from 'ajv'

const require = createRequire(import.meta.url)

/**
 * The schema uses union types and formats (color-hex, uri) that only annotate; strict mode would reject it. Each
 * definition becomes one function instead of being inlined wherever it is referenced: the generated module shrinks
 * from 8.2 to 6.4 MB and loads in two thirds of the time, with the same errors.
 */
const AJV_OPTIONS: Options = {
  inlineRefs: false,
  strict: false,
  allowUnionTypes: true,
  allErrors: true,
  validateSchema: false,
  logger: false,
}

/** The generated validator, beside this module (only `npm run build` writes it, into dist/). */
export const GENERATED_VALIDATOR = fileURLToPath(new URL('./vega-lite-schema-validator.generated.cjs', import.meta.url))

const SCHEMA_EXPORT = 'vega-lite/vega-lite-schema.json'

/** The installed Vega-Lite's version: its package.json sits one folder above the exported schema. */
export function vegaLiteVersion(): string {
  const packageJson = join(dirname(require.resolve(SCHEMA_EXPORT)), '..', 'package.json')
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as {version: string}).version
}

function compileSchema(source: boolean): {ajv: Ajv; validate: ValidateFunction} {
  const schema = JSON.parse(readFileSync(require.resolve(SCHEMA_EXPORT), 'utf8')) as object
  const ajv = new Ajv({...AJV_OPTIONS, ...(source ? {code: {source: true}} : {})})
  return {ajv, validate: ajv.compile(schema)}
}

/**
 * The validator as a CommonJS module (it requires ajv's small runtime helpers), stamped with the Vega-Lite version
 * whose schema it checks.
 */
export async function standaloneValidatorSource(): Promise<string> {
  // A CommonJS module: its default import is module.exports, which holds the function as `default`.
  const {default: standalone} = await import('ajv/dist/standalone/index.js')
  const {ajv, validate} = compileSchema(true)
  const stamp = `module.exports.vegaLiteVersion = ${JSON.stringify(vegaLiteVersion())};\n`
  return `${standalone.default(ajv, validate)}\n${stamp}`
}

/** The generated validator when it matches the installed Vega-Lite, else the schema compiled now. */
export function loadSchemaValidator(): ValidateFunction {
  if (existsSync(GENERATED_VALIDATOR)) {
    const generated = require(GENERATED_VALIDATOR) as ValidateFunction & {vegaLiteVersion?: string}
    if (generated.vegaLiteVersion === vegaLiteVersion()) return generated
  }
  return compileSchema(false).validate
}
