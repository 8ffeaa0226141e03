// Part of `npm run build`, after tsc: writes the Vega-Lite schema's validator as standalone code beside the built
// chart plugin, so checking a chart spec does not compile the 1.9 MB schema first (see
// src/plugins/chart/vega-lite/vega-lite-schema-validator.ts).
import {writeFileSync} from 'node:fs'
import {
  GENERATED_VALIDATOR,
  standaloneValidatorSource,
} from '../dist/plugins/chart/vega-lite/vega-lite-schema-validator.js'

writeFileSync(GENERATED_VALIDATOR, await standaloneValidatorSource())
