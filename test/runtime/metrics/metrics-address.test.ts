import {expect} from 'chai'
import {metricsBase} from '../../../src/runtime/metrics/metrics-address.js'

describe('metricsBase (where etl top and etl tap look)', () => {
  it('takes --url with or without /metrics, else the file’s port and host, else the default', () => {
    expect(metricsBase('http://10.0.0.1:9500/metrics')).to.equal('http://10.0.0.1:9500')
    expect(metricsBase('127.0.0.1:9465/')).to.equal('http://127.0.0.1:9465')
    expect(metricsBase(undefined, {port: 9470, host: '127.0.0.1'})).to.equal('http://127.0.0.1:9470')
    expect(metricsBase(undefined, {port: 9470, host: '0.0.0.0'})).to.equal('http://127.0.0.1:9470')
    expect(metricsBase(undefined, {port: 9470, host: '::1'})).to.equal('http://[::1]:9470')
    expect(metricsBase(undefined)).to.equal('http://127.0.0.1:9464')
  })
})
