/** Walking an error through the wrappers a client library puts around the broker's answer. */

/** The fields of an error (or of something thrown that is not one) that the clients' readers look at. */
export interface ChainedError {
  message?: string
  name?: string
  code?: unknown
  errors?: unknown[]
  cause?: unknown
  originalError?: unknown
  [field: string]: unknown
}

/**
 * Every error inside one, outermost first: aggregates' `errors` (kafkajs' and @platformatic/kafka's retries and
 * per-partition answers), `cause` and `originalError`. Bounded in depth, so a cyclic cause cannot loop.
 */
export function* errorsIn(error: unknown, depth = 0): Generator<ChainedError> {
  if (!error || typeof error !== 'object' || depth > 8) return
  const e = error as ChainedError
  yield e
  for (const inner of Array.isArray(e.errors) ? e.errors : []) yield* errorsIn(inner, depth + 1)
  if (e.cause) yield* errorsIn(e.cause, depth + 1)
  if (e.originalError && e.originalError !== e.cause) yield* errorsIn(e.originalError, depth + 1)
}
