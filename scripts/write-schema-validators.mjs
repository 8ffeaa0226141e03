// Part of `npm run build`, after tsc: writes the built-in JSON Schemas' validators as standalone code beside the built
// config loader, so `etl validate` does not compile them on every run (see
// src/runtime/config/precompiled-validators.ts).
import {writeFileSync} from 'node:fs'
import {ENTRY_SCHEMAS, PIPELINE_SCHEMA} from '../dist/runtime/config/pipeline-schema.js'
import {GENERATED_VALIDATORS, standaloneValidatorsSource} from '../dist/runtime/config/precompiled-validators.js'
import {TEST_FILE_SCHEMA} from '../dist/runtime/pipeline-test/test-file-schema.js'
import builtins from '../dist/plugins/builtin-plugins.js'

const schemas = [
  PIPELINE_SCHEMA,
  ...Object.values(ENTRY_SCHEMAS),
  TEST_FILE_SCHEMA,
  ...builtins.map((definition) => definition.configSchema),
]
writeFileSync(GENERATED_VALIDATORS, await standaloneValidatorsSource(schemas))
