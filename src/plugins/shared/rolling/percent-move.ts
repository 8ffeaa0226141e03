/**
 * Percent moves of one series within a trailing time window: the newest value against the window's lowest value (a
 * rise) and its highest (a fall). Each direction has its own edge trigger, so a spike followed by a crash inside one
 * window reports both, and each re-arms once its move drops below the threshold.
 */
import {EdgeTrigger} from './edge-trigger.js'
import {TimeWindowExtremes} from './time-window-extremes.js'

export interface Move {
  /**
   * Signed: (value − reference) / reference × 100; positive for a rise from the low, negative for a fall from the
   * high.
   */
  percent: number
  /** The window's low (rise) or high (fall) the move is measured from. */
  from: {time: number; value: number}
}

export type MoveUpdate = {fired: Move[]; nonPositiveReference: boolean} | 'time-backwards'

export class PercentMoveWatch {
  private readonly window: TimeWindowExtremes
  private readonly rise = new EdgeTrigger()
  private readonly fall = new EdgeTrigger()

  /** `width` in ms; values exactly `width` older than the newest still count. `threshold` in percent (> 0). */
  constructor(
    width: number,
    private readonly threshold: number,
  ) {
    this.window = new TimeWindowExtremes(width)
  }

  /** Adds a value and returns the moves that just reached the threshold; a time before the newest is not added. */
  update(time: number, value: number): MoveUpdate {
    if (time < this.window.latestTime) return 'time-backwards'
    this.window.push(time, value)
    const low = this.window.min!
    const high = this.window.max!
    // A percentage of a reference ≤ 0 means nothing for prices; that direction just reports no move.
    const up = low.value > 0 ? ((value - low.value) / low.value) * 100 : 0
    const down = high.value > 0 ? ((value - high.value) / high.value) * 100 : 0
    const fired: Move[] = []
    if (this.rise.update(up >= this.threshold)) fired.push({percent: up, from: low})
    if (this.fall.update(-down >= this.threshold)) fired.push({percent: down, from: high})
    return {fired, nonPositiveReference: low.value <= 0}
  }
}
