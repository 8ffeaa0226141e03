import {expect} from 'chai'
import {isDefaultLocal, resolveBrokers} from '../../src/runtime/broker-resolution.js'

describe('resolveBrokers', () => {
  const env = {KAFKA_BROKERS: 'env-1:9092, env-2:9092'}

  it('prefers --brokers over the file and the environment', () => {
    expect(resolveBrokers('flag:1,flag:2', ['file:9092'], env)).to.deep.equal({
      brokers: ['flag:1', 'flag:2'],
      origin: 'flag',
    })
  })

  it('then the pipeline file', () => {
    expect(resolveBrokers(undefined, ['file:9092'], env)).to.deep.equal({brokers: ['file:9092'], origin: 'pipeline'})
  })

  it('then $KAFKA_BROKERS, split and trimmed', () => {
    expect(resolveBrokers(undefined, undefined, env)).to.deep.equal({
      brokers: ['env-1:9092', 'env-2:9092'],
      origin: 'KAFKA_BROKERS',
    })
  })

  it('then the local default', () => {
    expect(resolveBrokers(undefined, undefined, {})).to.deep.equal({brokers: ['127.0.0.1:9092'], origin: 'default'})
  })

  it('treats only the default local address as "the local broker"', () => {
    expect(isDefaultLocal(['127.0.0.1:9092'])).to.equal(true)
    expect(isDefaultLocal(['localhost:9092'])).to.equal(true)
    expect(isDefaultLocal(['127.0.0.1:9093'])).to.equal(false)
    expect(isDefaultLocal(['127.0.0.1:9092', 'other:9092'])).to.equal(false)
  })
})
