/**
 * The http source's checkpoint: the validators of the last answer (ETag, Last-Modified) and, with `key`, the
 * fingerprint of the last record emitted per key. Committed in the Kafka transaction with the records, so a restart
 * (even after kill -9) asks "anything newer than what is in the topic?" and re-emits nothing already there. It names
 * the config it belongs to: another URL or mapping makes the old one meaningless, and it is then ignored.
 */
import {createHash} from 'node:crypto'
import type {HttpSettings} from './http-config.js'

export interface HttpCheckpoint {
  v: 1
  /** Hash of url, mapping and key: a checkpoint of another config is not restored. */
  config: string
  etag?: string
  lastModified?: string
  last?: Record<string, string>
}

export function configFingerprint(s: HttpSettings): string {
  const identity = JSON.stringify([s.url, s.mapping, s.key ?? null])
  return createHash('sha256').update(identity).digest('base64url').slice(0, 22)
}

/** Why `state` cannot be restored for this config, or undefined when it can. */
export function checkpointProblem(state: unknown, config: string): string | undefined {
  const c = state as Partial<HttpCheckpoint> | null
  if (typeof c !== 'object' || c === null || c.v !== 1) return 'it is not an http source checkpoint'
  if (c.config !== config) return 'it was written for another url, mapping or key'
  return undefined
}
