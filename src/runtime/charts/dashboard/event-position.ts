/**
 * The SSE event id of the dashboard stream: the position a page has seen in every feed (alerts first, then each chart
 * in the pipeline's order), e.g. `3.1200.1180`. The browser sends the last one back as Last-Event-ID when it
 * reconnects, and the stream resumes each feed right after it.
 */

export function formatPositions(positions: readonly number[]): string {
  return positions.join('.')
}

/** The positions in a Last-Event-ID header; undefined (start from a snapshot) for a missing or malformed one. */
export function parsePositions(header: string | string[] | undefined): number[] | undefined {
  if (typeof header !== 'string' || !/^\d{1,15}(\.\d{1,15}){0,999}$/.test(header)) return undefined
  return header.split('.').map(Number)
}
