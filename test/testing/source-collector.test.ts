import {expect} from 'chai'
import coingecko from '../../src/plugins/source/coingecko/index.js'
import replay from '../../src/plugins/source/replay/index.js'
import {collectSource, TestClock} from '../../src/testing/index.js'
import {startFakeCoinGecko} from '../support/fake-coingecko.js'

describe('etl/testing: sources', () => {
  it('collects a finite source to its end, with the checkpoint of each emit; a restart from it continues', async () => {
    const first = await collectSource(replay, {limit: 7, batchSize: 3})
    expect(first.ended).to.equal('finished')
    expect(first.emits.map((emit) => emit.records.length)).to.deep.equal([3, 3, 1])
    expect(first.emits.every((emit) => emit.checkpoint !== undefined)).to.equal(true)
    expect(first.records[0]).to.include({symbol: 'BTC', source: 'replay'})

    const partial = await collectSource(replay, {limit: 7, batchSize: 3}, {emits: 1})
    expect(partial.ended).to.equal('condition')
    const resumed = await collectSource(replay, {limit: 7, batchSize: 3}, {restore: partial.checkpoint})
    expect([...partial.records, ...resumed.records]).to.deep.equal(first.records)
  })

  it('runs a poller in virtual time: a one-hour interval passes at once, and the clock says so', async () => {
    const fake = await startFakeCoinGecko({auto: true})
    try {
      const run = await collectSource(
        coingecko,
        {baseUrl: fake.baseUrl, coins: ['bitcoin'], interval: '1h', backfill: 0},
        {emits: 3},
      )
      expect(run.ended).to.equal('condition')
      expect(fake.requests).to.have.length(3)
      expect(run.records.map((record) => record.symbol)).to.deep.equal(['BTC', 'BTC', 'BTC'])
      expect(run.clock!.now() - Date.parse('2026-01-01T00:00:00Z')).to.be.at.least(2 * 3_600_000)
    } finally {
      await fake.close()
    }
  })

  it('captures secrets a source registers, and stops at the time limit without failing', async () => {
    const fake = await startFakeCoinGecko({auto: true})
    try {
      const clock = new TestClock() // manual: the second poll waits for advance(), which never comes
      const run = await collectSource(
        coingecko,
        {baseUrl: fake.baseUrl, coins: ['bitcoin'], apiKey: 'CG-secret-1234', backfill: 0},
        {clock, timeoutMs: 300},
      )
      expect(run.ended).to.equal('timeout')
      expect(run.emits).to.have.length(1)
      expect(run.secrets).to.include('CG-secret-1234')
      expect(clock.sleeping).to.equal(0)
    } finally {
      await fake.close()
    }
  })
})
