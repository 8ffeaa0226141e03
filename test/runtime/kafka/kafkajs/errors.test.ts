/** What the kafkajs consumer hands back to kafkajs when a commit fails, so kafkajs rejoins instead of crashing. */
import {expect} from 'chai'
import {createRequire} from 'node:module'
import {KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded} from 'kafkajs'
import {rejoinable} from '../../../../src/runtime/kafka/kafkajs/errors.js'

const require = createRequire(import.meta.url)
const {createErrorFromCode} = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error & {type: string}
}

describe('kafkajs rejoinable', () => {
  it('unwraps the broker answer that makes kafkajs rejoin (UNKNOWN_MEMBER_ID inside a non-retriable wrapper)', () => {
    const inner = createErrorFromCode(25)
    const wrapped = Object.assign(new KafkaJSNonRetriableError(inner), {cause: inner})
    expect(rejoinable(wrapped)).to.equal(inner)
  })

  it('finds it under several wrappers', () => {
    const inner = createErrorFromCode(22) // ILLEGAL_GENERATION
    const retried = new KafkaJSNumberOfRetriesExceeded(inner, {retryCount: 3, retryTime: 100})
    expect(rejoinable(Object.assign(new KafkaJSNonRetriableError(retried), {cause: retried}))).to.equal(inner)
  })

  it('leaves any other error as it is (the consumer then fails, and the batch stays uncommitted)', () => {
    const inner = createErrorFromCode(38) // INVALID_REPLICATION_FACTOR
    const wrapped = Object.assign(new KafkaJSNonRetriableError(inner), {cause: inner})
    expect(rejoinable(wrapped)).to.equal(wrapped)
    const plain = new Error('disk full')
    expect(rejoinable(plain)).to.equal(plain)
  })
})
