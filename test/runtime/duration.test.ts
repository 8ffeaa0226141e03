import {Ajv} from 'ajv'
import {expect} from 'chai'
import {durationSchema, formatDuration, parseDuration} from '../../src/runtime/duration.js'
import {EtlError} from '../../src/runtime/errors.js'

describe('duration', () => {
  describe('parseDuration', () => {
    const cases: [string | number, number][] = [
      ['250ms', 250],
      ['1s', 1000],
      ['1.5s', 1500],
      ['60s', 60_000],
      ['2m', 120_000],
      ['1.5m', 90_000],
      ['1h', 3_600_000],
      ['1d', 86_400_000],
      ['.5s', 500],
      [' 10s ', 10_000],
      ['45', 45_000],
      [30, 30_000],
      [0.25, 250],
      [0, 0],
      ['0ms', 0],
    ]
    for (const [input, ms] of cases) {
      it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => expect(parseDuration(input)).to.equal(ms))
    }

    for (const bad of ['', 'abc', '10 seconds', '-5s', '5x', '1e3s', '1,5s', 's', -1, Number.NaN, Infinity]) {
      it(`rejects ${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)} with ETL_CONFIG_INVALID`, () => {
        expect(() => parseDuration(bad))
          .to.throw(EtlError)
          .with.property('code', 'ETL_CONFIG_INVALID')
      })
    }

    it('names the bad value and the accepted forms in the message', () => {
      expect(() => parseDuration('5 minutes')).to.throw(/"5 minutes".*ms, s, m, h, d/)
    })
  })

  it('formats milliseconds for log lines', () => {
    expect(formatDuration(250)).to.equal('250ms')
    expect(formatDuration(1500)).to.equal('1.5s')
    expect(formatDuration(90_000)).to.equal('1.5m')
    expect(formatDuration(7_200_000)).to.equal('2h')
  })

  describe('durationSchema', () => {
    const schema = {
      type: 'object',
      properties: {interval: durationSchema('Time between polls.', '60s')},
      additionalProperties: false,
    }

    it('compiles under strict ajv and applies its default', () => {
      const validate = new Ajv({strict: true, useDefaults: true}).compile(schema)
      const data: Record<string, unknown> = {}
      expect(validate(data), JSON.stringify(validate.errors)).to.equal(true)
      expect(data.interval).to.equal('60s')
    })

    it('accepts exactly what parseDuration accepts', () => {
      const validate = new Ajv({strict: true}).compile(schema)
      for (const good of ['500ms', '1.5s', '2m', '1h', '1d', '45', 30, 0.5]) {
        expect(validate({interval: good}), `${good}`).to.equal(true)
        expect(() => parseDuration(good)).not.to.throw()
      }
      for (const bad of ['10 seconds', '-5s', '5x', '', -1, true, null]) {
        expect(validate({interval: bad}), `${bad}`).to.equal(false)
      }
    })

    it('documents itself: description with units, default and examples', () => {
      const fragment = durationSchema('Poll interval.', '10s')
      expect(fragment.description).to.match(/^Poll interval\. .*ms, s, m, h, d/)
      expect(fragment.default).to.equal('10s')
      expect(fragment.examples).to.be.an('array').that.includes('10s')
      expect(durationSchema('No default.')).not.to.have.property('default')
    })
  })
})
