import {expect} from 'chai'
import {createLogger, redact, registerSecret} from '../../src/runtime/logger.js'

describe('logger redaction', () => {
  it('masks a registered secret in text and JSON lines, in messages and fields', () => {
    registerSecret('CG-plainKey-123456')
    const lines: string[] = []
    for (const format of ['text', 'json'] as const) {
      const logger = createLogger('t', {level: 'debug', format, write: (line) => lines.push(line)})
      logger.debug('key CG-plainKey-123456 used', {
        key: 'CG-plainKey-123456',
        nested: {url: 'https://x/?k=CG-plainKey-123456'},
      })
    }
    expect(lines).to.have.length(2)
    for (const line of lines) {
      expect(line).to.not.include('plainKey')
      expect(line).to.include('***')
    }
  })

  it('also masks the JSON-escaped and URL-encoded forms of a key with special characters', () => {
    const key = 'se"cr\\et&=key/42'
    registerSecret(key)
    const lines: string[] = []
    const logger = createLogger('t', {format: 'json', write: (line) => lines.push(line)})
    logger.info('failed', {key, url: `https://x/?k=${encodeURIComponent(key)}`})
    expect(lines[0]).to.not.include('cr\\\\et')
    expect(lines[0]).to.not.include(encodeURIComponent(key))
    expect(JSON.parse(lines[0])).to.include({key: '***', url: 'https://x/?k=***'})
    expect(redact(`raw ${key}`)).to.equal('raw ***')
  })

  it('ignores values too short to be a secret', () => {
    registerSecret('usd')
    expect(redact('price_usd')).to.equal('price_usd')
  })
})
