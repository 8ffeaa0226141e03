/**
 * What etl does after a Kafka error, decided once for both clients. The decision rests on the broker's protocol error
 * codes (https://kafka.apache.org/protocol#protocol_error_codes), not on names: the clients name the same code
 * differently (kafkajs says NOT_COORDINATOR_FOR_GROUP for 16, NOT_LEADER_FOR_PARTITION for 6, GROUP_LOAD_IN_PROGRESS
 * for 14) and kafkajs 2.2 has no name at all for 90. Each client's adapter reads the codes out of its library's errors
 * (see LibraryErrors) and adds what only its library can tell (a lost connection, a retriable flag).
 */

/** The codes etl reacts to, by Kafka's own names. */
export const KafkaErrorCode = {
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PRODUCER_EPOCH: 47,
  CONCURRENT_TRANSACTIONS: 51,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  PRODUCER_FENCED: 90,
} as const

const C = KafkaErrorCode

/**
 * Said while a broker starts, a partition's leader moves or a group rebalances: asking again shortly succeeds. A
 * transaction begun right after the previous one committed hears CONCURRENT_TRANSACTIONS until the coordinator has
 * written the previous one's markers.
 */
export const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  C.UNKNOWN_TOPIC_OR_PARTITION,
  C.LEADER_NOT_AVAILABLE,
  C.NOT_LEADER_OR_FOLLOWER,
  C.COORDINATOR_LOAD_IN_PROGRESS,
  C.COORDINATOR_NOT_AVAILABLE,
  C.NOT_COORDINATOR,
  C.REBALANCE_IN_PROGRESS,
  C.CONCURRENT_TRANSACTIONS,
])

/**
 * The member's membership or generation is gone, or its coordinator moved: it has to join its group again (its
 * uncommitted batch is then consumed again). The union of what kafkajs' consumer runner rejoins on (isRebalancing and
 * UNKNOWN_MEMBER_ID) and of what @platformatic/kafka marks `needsRejoin`; a test keeps it a superset of both.
 */
export const REJOIN_CODES: ReadonlySet<number> = new Set([
  C.NOT_COORDINATOR,
  C.ILLEGAL_GENERATION,
  C.UNKNOWN_MEMBER_ID,
  C.REBALANCE_IN_PROGRESS,
  C.MEMBER_ID_REQUIRED,
  C.FENCED_INSTANCE_ID,
])

/** A newer producer with the same transactional id exists (older protocol versions say INVALID_PRODUCER_EPOCH). */
export const FENCED_CODES: ReadonlySet<number> = new Set([C.PRODUCER_FENCED, C.INVALID_PRODUCER_EPOCH])

/** What an error calls for, maybe several things (REBALANCE_IN_PROGRESS: an admin call retries, a member rejoins). */
export interface KafkaErrorClass {
  /** Asking again shortly can succeed. */
  transient: boolean
  /** A group member has to join its group again. */
  rejoin: boolean
  /** A newer transactional producer took the id over: this one stops (ETL_SOURCE_FENCED). */
  fenced: boolean
  /** Creating a topic lost a race with another process: the topic is there, which is what was wanted. */
  alreadyExists: boolean
}

/** How one client library's errors are read. */
export interface LibraryErrors {
  /** The broker's error codes anywhere inside an error of this library. */
  codesOf(error: unknown): ReadonlySet<number>
  /** What the library tells beyond the codes (a lost connection, its own retriable flag, a wrapper's wording). */
  hintsOf(error: unknown): Partial<KafkaErrorClass>
  /** A readable message, for the ETL_KAFKA errors etl raises. */
  describe(error: unknown): string
}

export function classifyCodes(codes: Iterable<number>): KafkaErrorClass {
  const found = [...codes]
  return {
    transient: found.some((code) => TRANSIENT_CODES.has(code)),
    rejoin: found.some((code) => REJOIN_CODES.has(code)),
    fenced: found.some((code) => FENCED_CODES.has(code)),
    alreadyExists: found.includes(C.TOPIC_ALREADY_EXISTS),
  }
}

/** "Fatal" is none of these: the call fails, and the caller reports it. */
export function classifyError(library: LibraryErrors, error: unknown): KafkaErrorClass {
  const byCodes = classifyCodes(library.codesOf(error))
  const hints = library.hintsOf(error)
  return {
    transient: byCodes.transient || hints.transient === true,
    rejoin: byCodes.rejoin || hints.rejoin === true,
    fenced: byCodes.fenced || hints.fenced === true,
    alreadyExists: byCodes.alreadyExists || hints.alreadyExists === true,
  }
}
