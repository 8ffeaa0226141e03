/**
 * One open page of the dashboard: its Server-Sent Events response and the position it has seen in every feed. Every
 * event carries the positions as its id, so whatever the page received last is where a reconnect resumes.
 */
import type {ServerResponse} from 'node:http'
import {formatPositions} from './event-position.js'

/** A page that stops reading is dropped beyond this much queued output; it reconnects and resumes. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024

export class DashboardClient {
  constructor(
    readonly res: ServerResponse,
    /** Position seen per feed, by feed index; -1 = nothing yet (the page gets a snapshot). */
    readonly positions: number[],
  ) {}

  positionOf(feed: number): number {
    return this.positions[feed] ?? -1
  }

  /** Sends one event and records that the page has now seen `feed` up to `position`. False: the page was dropped. */
  send(event: string, data: unknown, feed: number, position: number): boolean {
    while (this.positions.length <= feed) this.positions.push(-1)
    this.positions[feed] = position
    return this.write(`id: ${formatPositions(this.positions)}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  write(text: string): boolean {
    if (this.res.writableLength > MAX_QUEUED_BYTES) {
      this.res.destroy()
      return false
    }
    this.res.write(text)
    return true
  }
}
