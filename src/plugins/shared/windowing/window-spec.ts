/**
 * Which windows a record belongs to. Windows are aligned to the epoch (1970-01-01T00:00:00Z), not to the first
 * record, so every run, every partition and every restart cuts time the same way: a record at t belongs to each
 * [start, start + size) with start = k·slide, start ≤ t < start + size (start inclusive, end exclusive, as in Kafka
 * Streams and Spark).
 */
import {type ConfigIssue, type Duration, parseDuration} from '../../../sdk/index.js'

export interface WindowSpec {
  /** All in milliseconds; tumbling windows have slide === size. */
  size: number
  slide: number
  lateness: number
}

/** Start of the latest window holding t; the others start slide, 2·slide… earlier while they still hold t. */
export function latestStart(t: number, spec: WindowSpec): number {
  return Math.floor(t / spec.slide) * spec.slide
}

/**
 * Whether the window starting at `start` holds t and ends after `openAfter` (windows ending at or before it are
 * closed). Going down from latestStart(t) by slide, the first window for which this is false ends the open ones.
 */
export function holdsOpen(start: number, t: number, spec: WindowSpec, openAfter: number): boolean {
  return start + spec.size > t && start + spec.size > openAfter
}

/** Starts of every window holding t whose end is after `openAfter`, latest first. */
export function openWindowStarts(t: number, spec: WindowSpec, openAfter: number): number[] {
  const starts: number[] = []
  for (let start = latestStart(t, spec); holdsOpen(start, t, spec, openAfter); start -= spec.slide) starts.push(start)
  return starts
}

/** Each record is folded into every window holding it; beyond this, one record costs more than a batch should. */
export const MAX_WINDOWS_PER_RECORD = 1000

export interface WindowShape {
  window: 'tumbling' | 'sliding'
  size: Duration
  slide?: Duration
  lateness: Duration
}

function milliseconds(value: Duration, field: string, issues: ConfigIssue[]): number | undefined {
  try {
    return parseDuration(value)
  } catch (error) {
    issues.push({path: [field], message: (error as Error).message})
    return undefined
  }
}

/** The spec, or the problems that prevent it (returned by validateConfig, thrown by create). */
export function resolveWindowSpec(shape: WindowShape): {spec?: WindowSpec; issues: ConfigIssue[]} {
  const issues: ConfigIssue[] = []
  const size = milliseconds(shape.size, 'size', issues)
  const lateness = milliseconds(shape.lateness, 'lateness', issues)
  const slide = shape.slide === undefined ? undefined : milliseconds(shape.slide, 'slide', issues)
  if (size !== undefined && size <= 0) issues.push({path: ['size'], message: 'size must be longer than 0 ms'})
  if (shape.window === 'sliding' && shape.slide === undefined) {
    issues.push({path: ['slide'], message: 'sliding windows need slide: how far apart window starts are, e.g. 1m'})
  }
  if (slide !== undefined && size !== undefined && size > 0) {
    if (slide <= 0) issues.push({path: ['slide'], message: 'slide must be longer than 0 ms'})
    else if (slide > size) {
      issues.push({
        path: ['slide'],
        message: `slide (${slide} ms) must not exceed size (${size} ms): records between windows would be lost`,
      })
    } else if (Math.ceil(size / slide) > MAX_WINDOWS_PER_RECORD) {
      issues.push({
        path: ['slide'],
        message:
          `size / slide must be at most ${MAX_WINDOWS_PER_RECORD}: ` +
          `each record would join ${Math.ceil(size / slide)} windows`,
      })
    } else if (shape.window === 'tumbling' && slide !== size) {
      issues.push({path: ['slide'], message: `tumbling windows have slide = size; remove slide or use window: sliding`})
    }
  }
  if (issues.length > 0 || size === undefined || lateness === undefined) return {issues}
  return {spec: {size, slide: slide ?? size, lateness}, issues}
}
