/**
 * How a section tells the bench it starts a timed step: the bench logs `what`, records the load average under
 * `section` (in the results' `load`), and throws once Ctrl-C was pressed, so no further step starts.
 */
export type BenchStep = (section: string, what: string) => void
