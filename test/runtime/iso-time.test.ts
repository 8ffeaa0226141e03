import {expect} from 'chai'
import {isoTime} from '../../src/runtime/iso-time.js'

const viaDate = (ms: number) => new Date(ms).toISOString()

describe('isoTime (window bounds as ISO 8601)', () => {
  it('gives exactly toISOString for times across the whole 0000–9999 range, in any order', () => {
    // A fixed pseudo-random walk (no Math.random: a failure must be reproducible), jumping between days so the
    // cached day prefix is replaced and reused in every combination.
    let seed = 42
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const first = Date.parse('0000-01-01T00:00:00.000Z')
    const end = Date.parse('9999-12-31T23:59:59.999Z') + 1
    for (let i = 0; i < 20_000; i++) {
      const ms = i % 3 === 0 ? Math.floor(first + next() * (end - first)) : Math.floor(1.3e12 + next() * 3 * 86_400_000)
      expect(isoTime(ms), String(ms)).to.equal(viaDate(ms))
    }
  })

  it('handles day edges, leap days, times before 1970 and the ends of the 4-digit years', () => {
    const cases = [
      0,
      -0,
      -1,
      1,
      86_399_999,
      86_400_000,
      -86_400_000,
      -86_400_001,
      Date.parse('2024-02-29T23:59:59.999Z'),
      Date.parse('2024-03-01T00:00:00.000Z'),
      Date.parse('1900-02-28T12:00:00.000Z'),
      Date.parse('0000-01-01T00:00:00.000Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
    ]
    for (const ms of cases) expect(isoTime(ms), String(ms)).to.equal(viaDate(ms))
  })

  it('falls back to toISOString outside 0000–9999 and for fractional times, and throws like it for NaN', () => {
    for (const ms of [
      Date.parse('9999-12-31T23:59:59.999Z') + 1,
      Date.parse('0000-01-01T00:00:00.000Z') - 1,
      8.64e15,
      -8.64e15,
      1.5,
      -0.5,
      1_700_000_000_000.7,
    ]) {
      expect(isoTime(ms), String(ms)).to.equal(viaDate(ms))
    }
    expect(isoTime(8.64e15)).to.equal('+275760-09-13T00:00:00.000Z')
    expect(() => isoTime(Number.NaN)).to.throw(RangeError)
    expect(() => isoTime(8.64e15 + 1)).to.throw(RangeError)
  })
})
