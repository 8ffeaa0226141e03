/**
 * One classification of Kafka errors for both clients: real error objects of each library (as its clients throw them,
 * wrappers included) → transient / rejoin / fenced / fatal. And the core's code sets checked against each library's
 * own lists, so neither client loses a case it handles when one of them is upgraded.
 */
import {expect} from 'chai'
import {createRequire} from 'node:module'
import {
  MultipleErrors,
  NetworkError,
  protocolErrors,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka'
import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
} from 'kafkajs'
import {
  classifyCodes,
  KafkaErrorCode,
  REJOIN_CODES,
  TRANSIENT_CODES,
  type KafkaErrorClass,
} from '../../../../src/runtime/kafka/core/error-codes.js'
import {classifyKafkajsError, TRANSIENT_WORDING} from '../../../../src/runtime/kafka/kafkajs/errors.js'
import {classifyPlatformaticError} from '../../../../src/runtime/kafka/platformatic/errors.js'

const require = createRequire(import.meta.url)
interface KafkajsCode {
  type: string
  code: number
  message: string
}
const kafkajsProtocol = require('kafkajs/src/protocol/error.js') as {
  errorCodes: KafkajsCode[]
  createErrorFromCode(code: number): Error & {type: string; code: number}
}
const {isRebalancing} = require('kafkajs/src/errors.js') as {isRebalancing(e: {type: string}): boolean}

type Expected = 'transient' | 'rejoin' | 'fenced' | 'alreadyExists' | 'fatal'

function reactions(found: KafkaErrorClass): Expected[] {
  const all = (['transient', 'rejoin', 'fenced', 'alreadyExists'] as const).filter((key) => found[key])
  return all.length === 0 ? ['fatal'] : all
}

const kj = (code: number) => kafkajsProtocol.createErrorFromCode(code)
const plt = (id: string) => new ProtocolError(id)
const pltResponse = (...codes: number[]) =>
  new ResponseError(8, 9, Object.fromEntries(codes.map((code, i) => [`/topics/0/partitions/${i}`, [code, null]])), {})

const C = KafkaErrorCode

describe('Kafka error classification', () => {
  const kafkajsCases: [string, unknown, Expected[]][] = [
    ['NOT_COORDINATOR_FOR_GROUP (16)', kj(16), ['transient', 'rejoin']],
    ['GROUP_LOAD_IN_PROGRESS (14)', kj(14), ['transient']],
    ['NOT_LEADER_FOR_PARTITION (6)', kj(6), ['transient']],
    ['CONCURRENT_TRANSACTIONS (51)', kj(51), ['transient']],
    ['UNKNOWN_MEMBER_ID (25)', kj(25), ['rejoin']],
    ['ILLEGAL_GENERATION (22)', kj(22), ['rejoin']],
    ['REBALANCE_IN_PROGRESS (27)', kj(27), ['transient', 'rejoin']],
    ['INVALID_PRODUCER_EPOCH (47)', kj(47), ['fenced']],
    ['PRODUCER_FENCED, unknown to kafkajs 2.2 ("Unknown error code 90")', kj(90), ['fenced']],
    ['TOPIC_ALREADY_EXISTS (36)', kj(36), ['alreadyExists']],
    ['INVALID_REPLICATION_FACTOR (38)', kj(38), ['fatal']],
    [
      'UNKNOWN_MEMBER_ID as commitOffsets wraps it',
      Object.assign(new KafkaJSNonRetriableError(kj(25)), {cause: kj(25)}),
      ['rejoin'],
    ],
    [
      'a wrapper that kept only the message of NOT_COORDINATOR_FOR_GROUP',
      new KafkaJSNonRetriableError(kj(16)),
      ['transient'],
    ],
    [
      'retries exhausted on INVALID_PRODUCER_EPOCH',
      new KafkaJSNumberOfRetriesExceeded(kj(47), {retryCount: 5, retryTime: 100}),
      ['fenced'],
    ],
    [
      'a lost connection (kafkajs: retriable)',
      new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
      ['transient'],
    ],
    ['a non-retriable kafkajs error without a code', new KafkaJSError('boom', {retriable: false}), ['fatal']],
    [
      'createTopics racing another process',
      new KafkaJSAggregateError('Topic creation errors', [kj(36)]),
      ['alreadyExists'],
    ],
    ['not a Kafka error at all', new TypeError('x is undefined'), ['fatal']],
  ]
  for (const [what, error, expected] of kafkajsCases) {
    it(`kafkajs: ${what} → ${expected.join(' + ')}`, () => {
      expect(reactions(classifyKafkajsError(error))).to.deep.equal(expected)
    })
  }

  const platformaticCases: [string, unknown, Expected[]][] = [
    ['NOT_COORDINATOR', plt('NOT_COORDINATOR'), ['transient', 'rejoin']],
    ['COORDINATOR_LOAD_IN_PROGRESS', plt('COORDINATOR_LOAD_IN_PROGRESS'), ['transient']],
    ['NOT_LEADER_OR_FOLLOWER', plt('NOT_LEADER_OR_FOLLOWER'), ['transient']],
    ['UNKNOWN_MEMBER_ID', plt('UNKNOWN_MEMBER_ID'), ['rejoin']],
    ['MEMBER_ID_REQUIRED', plt('MEMBER_ID_REQUIRED'), ['rejoin']],
    ['FENCED_INSTANCE_ID', plt('FENCED_INSTANCE_ID'), ['rejoin']],
    ['PRODUCER_FENCED', plt('PRODUCER_FENCED'), ['fenced']],
    ['INVALID_PRODUCER_EPOCH', plt('INVALID_PRODUCER_EPOCH'), ['fenced']],
    ['TOPIC_ALREADY_EXISTS in a response', pltResponse(36), ['alreadyExists']],
    ['CONCURRENT_TRANSACTIONS in one partition of a response', pltResponse(0, 51), ['transient']],
    [
      'the failed attempts of a retried call',
      new MultipleErrors('produce failed 9 times.', [pltResponse(6), pltResponse(6)]),
      ['transient'],
    ],
    ['a lost connection', new NetworkError('Connection closed'), ['transient']],
    ['a request timeout (a NetworkError by code)', new TimeoutError('Request timed out'), ['transient']],
    ['INVALID_REPLICATION_FACTOR', plt('INVALID_REPLICATION_FACTOR'), ['fatal']],
    ['a usage error', new UserError('bad option'), ['fatal']],
  ]
  for (const [what, error, expected] of platformaticCases) {
    it(`@platformatic/kafka: ${what} → ${expected.join(' + ')}`, () => {
      expect(reactions(classifyPlatformaticError(error))).to.deep.equal(expected)
    })
  }

  it("names every code by Kafka's own name (as @platformatic/kafka's generated table has it)", () => {
    for (const [name, code] of Object.entries(KafkaErrorCode)) expect(protocolErrors[name]?.code, name).to.equal(code)
  })

  it('rejoins on every code kafkajs’ consumer runner rejoins on (isRebalancing, UNKNOWN_MEMBER_ID)', () => {
    const rejoined = kafkajsProtocol.errorCodes
      .filter((e) => isRebalancing(kj(e.code)) || e.type === 'UNKNOWN_MEMBER_ID')
      .map((e) => e.code)
    expect(rejoined).to.have.length.greaterThan(3)
    for (const code of rejoined) expect(REJOIN_CODES.has(code), `kafkajs code ${code}`).to.equal(true)
  })

  it('rejoins on every code @platformatic/kafka marks needsRejoin', () => {
    const rejoined = Object.values(protocolErrors)
      .filter((e) => (new ProtocolError(e.id) as ProtocolError & {needsRejoin?: boolean}).needsRejoin === true)
      .map((e) => e.code)
    expect(rejoined).to.have.length.greaterThan(3)
    for (const code of rejoined) expect(REJOIN_CODES.has(code), `platformatic code ${code}`).to.equal(true)
  })

  it("kafkajs' wording of every transient code is recognised (its log lines, wrappers without a cause)", () => {
    for (const code of TRANSIENT_CODES) {
      const {message} = kafkajsProtocol.errorCodes.find((e) => e.code === code)!
      expect(TRANSIENT_WORDING.test(message), `${code}: ${message}`).to.equal(true)
    }
  })

  it('classifies codes alone, whichever library they came from', () => {
    expect(reactions(classifyCodes([]))).to.deep.equal(['fatal'])
    expect(reactions(classifyCodes([C.UNKNOWN_TOPIC_OR_PARTITION]))).to.deep.equal(['transient'])
    expect(reactions(classifyCodes([C.PRODUCER_FENCED, C.CONCURRENT_TRANSACTIONS]))).to.deep.equal([
      'transient',
      'fenced',
    ])
  })
})
