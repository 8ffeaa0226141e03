/**
 * What a window engine remembers between batches, and its JSON snapshot. Snapshot and restore are pure functions of
 * that state, so where snapshots live (a file today, a compacted Kafka topic tomorrow) is the caller's choice.
 */
import {
  loadAccumulator,
  saveAccumulator,
  type AggregateSpec,
  type SavedAccumulator,
  type WindowAccumulator,
} from './aggregates.js'
import type {WindowSpec} from './window-spec.js'

export interface KeyState {
  /** groupKey() of the key fields. */
  id: string
  /** The key fields as the first record of this key had them (null when missing), copied into every output. */
  fields: Record<string, unknown>
  /** Latest event time accepted for this key; the watermark is this minus the allowed lateness. */
  maxTime: number
  /** Open windows only, by start (ms). A window is deleted as soon as it closes. */
  windows: Map<number, WindowAccumulator>
}

/** Keys by id. */
export type EngineState = Map<string, KeyState>

/** What the windows were computed with: a snapshot taken under another definition is not restored. */
export interface StateShape {
  time: string
  key: readonly string[]
  spec: WindowSpec
  aggregates: readonly AggregateSpec[]
}

export interface WindowSnapshot {
  version: 1
  shape: {time: string; key: string[]; size: number; slide: number; aggregates: AggregateSpec[]}
  keys: {
    id: string
    fields: Record<string, unknown>
    maxTime: number
    windows: [start: number, saved: SavedAccumulator][]
  }[]
}

function shapeOf(shape: StateShape): WindowSnapshot['shape'] {
  // Lateness is left out on purpose: changing it only moves the watermark, the windows themselves stay valid.
  return {
    time: shape.time,
    key: [...shape.key],
    size: shape.spec.size,
    slide: shape.spec.slide,
    aggregates: shape.aggregates.map(({name, op, field}) => (field === undefined ? {name, op} : {name, op, field})),
  }
}

export function snapshotState(state: EngineState, shape: StateShape): WindowSnapshot {
  return {
    version: 1,
    shape: shapeOf(shape),
    keys: [...state.values()].map((key) => ({
      id: key.id,
      fields: {...key.fields},
      maxTime: key.maxTime,
      windows: [...key.windows].map(([start, acc]) => [start, saveAccumulator(acc, shape.aggregates)]),
    })),
  }
}

/** Thrown for a snapshot that cannot be restored; the message says why, for a log line. */
export class SnapshotMismatch extends Error {
  override name = 'SnapshotMismatch'
}

export function restoreState(snapshot: unknown, shape: StateShape): EngineState {
  const saved = snapshot as Partial<WindowSnapshot> | null
  if (saved?.version !== 1 || !Array.isArray(saved.keys)) throw new SnapshotMismatch('not a version 1 window snapshot')
  const expected = JSON.stringify(shapeOf(shape))
  if (JSON.stringify(saved.shape) !== expected) {
    throw new SnapshotMismatch(
      `it was taken with another window definition (${JSON.stringify(saved.shape)}, now ${expected})`,
    )
  }
  const state: EngineState = new Map()
  for (const key of saved.keys) {
    if (typeof key?.id !== 'string' || !Number.isFinite(key.maxTime) || !Array.isArray(key.windows)) {
      throw new SnapshotMismatch(`malformed key entry ${JSON.stringify(key)?.slice(0, 200)}`)
    }
    const windows = new Map<number, WindowAccumulator>()
    for (const [start, acc] of key.windows) {
      if (!Number.isFinite(start)) throw new SnapshotMismatch(`malformed window start ${JSON.stringify(start)}`)
      try {
        windows.set(start, loadAccumulator(acc, shape.aggregates))
      } catch (error) {
        throw new SnapshotMismatch(`window ${start} of key ${JSON.stringify(key.id)}: ${(error as Error).message}`)
      }
    }
    state.set(key.id, {id: key.id, fields: {...key.fields}, maxTime: key.maxTime, windows})
  }
  return state
}
