/** How records find their sink and how a rejection is labelled: the process stage's rules, also used by `etl test`. */
import type {StageConfig} from '../config/load-pipeline.js'
import {truthy} from '../expression/expression-functions.js'
import type {EtlRecord} from '../plugin-types.js'

/** The records a sink receives: those its `where:` is true for (all of them without one). */
export function routedTo(sink: StageConfig, records: EtlRecord[]): EtlRecord[] {
  const where = sink.where
  return where ? records.filter((record) => truthy(where(record))) : records
}

/** The `etl-plugin` header of a dead letter a stage's plugin rejected, e.g. `transform:weekly`. */
export function pluginLabel(stage: StageConfig): string {
  return `${stage.kind}:${stage.label}`
}
