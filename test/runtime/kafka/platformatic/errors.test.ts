/** The message of an ETL_KAFKA error from @platformatic/kafka: the broker's answer, not "produce failed 9 times.". */
import {expect} from 'chai'
import {MultipleErrors, NetworkError, ResponseError} from '@platformatic/kafka'
import {describeKafkaError} from '../../../../src/runtime/kafka/platformatic/errors.js'

describe('platformatic describeKafkaError', () => {
  it("names the broker's error codes found inside the retries, after the top message", () => {
    const answer = new ResponseError(0, 9, {'/topics/0/partitions/0': [6, 'leader moved']}, {})
    const text = describeKafkaError(new MultipleErrors('produce failed 2 times.', [answer, answer]))
    expect(text).to.match(/^produce failed 2 times\. /)
    expect(text).to.include('NOT_LEADER_OR_FOLLOWER (leader moved)')
    expect(text.match(/NOT_LEADER_OR_FOLLOWER/g)).to.have.length(1)
  })

  it('is the message itself for an error without inner errors', () => {
    expect(describeKafkaError(new NetworkError('Connection closed'))).to.equal('Connection closed')
    expect(describeKafkaError('plain text')).to.equal('plain text')
  })
})
