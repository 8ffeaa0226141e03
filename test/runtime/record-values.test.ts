import {expect} from 'chai'
import {eventTime} from '../../src/runtime/record-values.js'

/** eventTime as it was before its fast path for toISOString's form: the reference the fast path must match. */
function reference(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined
  if (typeof raw === 'string' && raw !== '') {
    const ms = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw)
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}

const read = (raw: unknown) => eventTime({t: raw}, 't')

describe('eventTime', () => {
  it('reads ISO text and epoch milliseconds, and rejects what is neither', () => {
    expect(read('2011-08-18T12:35:00.000Z')).to.equal(Date.UTC(2011, 7, 18, 12, 35))
    expect(read('2011-08-18T12:35:00Z')).to.equal(Date.UTC(2011, 7, 18, 12, 35))
    expect(read('2011-08-18T14:35:00.000+02:00')).to.equal(Date.UTC(2011, 7, 18, 12, 35))
    expect(read(1_313_670_900_000)).to.equal(1_313_670_900_000)
    expect(read('1313670900000')).to.equal(1_313_670_900_000)
    expect(read('-5.5')).to.equal(-5.5)
    expect(read('2011')).to.equal(2011)
    for (const bad of [
      '',
      'soon',
      '2011-13-01T00:00:00.000Z',
      '2011-01-01T23:60:00.000Z',
      Number.NaN,
      Infinity,
      null,
      undefined,
      {},
    ]) {
      expect(read(bad), String(bad)).to.equal(undefined)
    }
  })

  it('gives exactly what Date.parse gives on text shaped like toISOString, valid or not, in any order', () => {
    // A fixed pseudo-random walk (reproducible), over every position of "YYYY-MM-DDTHH:MM:SS.sssZ": mostly digits
    // near the field limits (month 13, day 32, 02-30, hour 24, minute 60…), sometimes another character, so the
    // cached day is replaced, reused and refused in every combination.
    let seed = 7
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const pick = (options: string) => options[Math.floor(next() * options.length)]
    const canonical = '2011-08-18T12:35:00.000Z'
    const fields: [at: number, width: number, max: number][] = [
      [0, 4, 10_000],
      [5, 2, 14],
      [8, 2, 33],
      [11, 2, 26],
      [14, 2, 62],
      [17, 2, 62],
      [20, 3, 1000],
    ]
    let text = canonical
    for (let i = 0; i < 50_000; i++) {
      const chars = [...text]
      const [at, width, max] = fields[Math.floor(next() * fields.length)]
      const value = String(Math.floor(next() * max))
        .padStart(width, '0')
        .slice(-width)
      chars.splice(at, width, ...value)
      if (next() < 0.05) chars[Math.floor(next() * chars.length)] = pick('-:.TZtz +0a')
      if (next() < 0.02) chars.splice(Math.floor(next() * chars.length), 1)
      const candidate = chars.join('')
      expect(read(candidate), candidate).to.equal(reference(candidate))
      // Keep walking from well-formed text mostly, so the day cache is hit as well as missed.
      text = next() < 0.7 && candidate.length === 24 ? candidate : canonical
    }
  })

  it('matches Date.parse at the edges of days, months, leap years and the 4-digit years', () => {
    const cases = [
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2011-02-30T10:00:00.000Z',
      '2011-02-31T00:00:00.000Z',
      '2011-02-32T00:00:00.000Z',
      '2011-04-31T00:00:00.000Z',
      '2011-00-01T00:00:00.000Z',
      '2011-01-00T00:00:00.000Z',
      '2011-01-01T24:00:00.000Z',
      '2011-01-01T24:00:00.001Z',
      '2011-01-01T23:59:60.000Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '2011-01-01t00:00:00.000Z',
      '2011-01-01T00:00:00.000z',
      '2011-01-01 00:00:00.000Z',
      '+2011-01-01T00:00:00.000Z',
      '2011-01-01T00:00:00.0000Z',
    ]
    for (const text of cases) expect(read(text), text).to.equal(reference(text))
  })
})
