/**
 * The heavy half of the spec check, loaded only inside the worker that spec-check.ts starts: the Vega-Lite JSON
 * schema's validator, Vega-Lite's compiler and Vega's parser.
 */
import type {ValidateFunction} from 'ajv'
import * as vega from 'vega'
import {messageOf, sourceLocator} from '../../../sdk/index.js'
import {schemaProblems} from './spec-schema-problems.js'
import {loadSchemaValidator} from './vega-lite-schema-validator.js'
import {applyOverrides, compileSpec, readsRows, ROWS_DATA, type SpecOverrides} from './vega-view.js'

export interface SpecCheckRequest {
  /** The spec file's text, already read and known to be a JSON object. */
  text: string
  label: string
  overrides: SpecOverrides
}

let validator: ValidateFunction | undefined

/** Called by module-worker.ts: every problem with the spec, as messages starting with `label:line:col`. */
export async function answer({text, label, overrides}: SpecCheckRequest): Promise<string[]> {
  const spec = JSON.parse(text) as Record<string, unknown>
  // Loaded on the first check; later charts of the same pipeline reuse it while the worker lives.
  const validate = (validator ??= loadSchemaValidator())
  if (!validate(spec)) return schemaProblems(validate.errors ?? [], sourceLocator(label, text), label)
  try {
    const compiled = compileSpec(applyOverrides(spec, overrides))
    if (!readsRows(compiled.vega)) {
      return [`${label}: the spec never reads the chart's rows: give it "data": {"name": "${ROWS_DATA}"}`]
    }
    // Vega parses expressions (calculate, filter, labelExpr) only here; Vega-Lite passes them through unchecked.
    vega.parse(compiled.vega)
  } catch (error) {
    return [`${label}: Vega-Lite cannot compile it: ${messageOf(error)}`]
  }
  return []
}
