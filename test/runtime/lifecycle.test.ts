import {expect} from 'chai'
import {pendingWork, shutdownOnSignals, trackPending} from '../../src/runtime/lifecycle.js'
import {createLogger} from '../../src/runtime/logger.js'

describe('shutdownOnSignals', () => {
  const lines: string[] = []
  const logger = createLogger('test', {write: (line) => lines.push(line)})

  it('aborts on the first signal, ignores a duplicate arriving at once, forces the exit on a later one', async () => {
    const exits: number[] = []
    const handle = shutdownOnSignals(logger, {exit: (code) => exits.push(code)})
    try {
      process.emit('SIGINT', 'SIGINT')
      expect(handle.signal.aborted).to.equal(true)
      // `npm start` and `timeout` deliver the same Ctrl-C twice: that must not count as "force".
      process.emit('SIGINT', 'SIGINT')
      expect(exits).to.deep.equal([])
      await new Promise((resolve) => setTimeout(resolve, 1100))
      process.emit('SIGTERM', 'SIGTERM')
      expect(exits).to.deep.equal([130])
      expect(lines.some((line) => line.includes('flushing sinks and committing offsets'))).to.equal(true)
    } finally {
      handle.dispose()
    }
  })

  it('stops listening once disposed', () => {
    const before = process.listenerCount('SIGINT')
    const handle = shutdownOnSignals(logger, {exit: () => undefined})
    expect(process.listenerCount('SIGINT')).to.equal(before + 1)
    handle.dispose()
    expect(process.listenerCount('SIGINT')).to.equal(before)
  })

  it('when the clean stop outruns the grace period: ETL_SHUTDOWN_TIMEOUT naming what is pending, exit 1', async () => {
    const exits: number[] = []
    const errors: string[] = []
    const handle = shutdownOnSignals(logger, {
      graceMs: 60_000,
      exit: (code) => exits.push(code),
      writeError: (text) => errors.push(text),
    })
    const doneFlushing = trackPending('sink csv: flush (attempt 2 of 5)')
    const doneOther = trackPending(() => 'source buffer has 12 records')
    try {
      process.emit('SIGTERM', 'SIGTERM')
      handle.setGrace(150) // the pipeline file is read after the signal: the grace counts from the signal
      doneOther()
      while (exits.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(exits).to.deep.equal([1])
      expect(errors).to.have.length(1)
      expect(errors[0]).to.match(
        new RegExp(
          String.raw`^ETL_SHUTDOWN_TIMEOUT: the pipeline did not stop within the 150ms grace period; ` +
            String.raw`still pending: sink csv: flush \(attempt 2 of 5\)\.`,
        ),
      )
      expect(errors[0]).to.include('a restart processes them again').and.not.include('source buffer')
      expect(errors[0]).to.not.match(/^\s+at /m)
    } finally {
      doneFlushing()
      handle.dispose()
    }
    expect(pendingWork()).to.deep.equal([])
  })

  it('a stop that finishes in time (dispose) never fires the grace timer', async () => {
    const exits: number[] = []
    const handle = shutdownOnSignals(logger, {
      graceMs: 50,
      exit: (code) => exits.push(code),
      writeError: () => undefined,
    })
    process.emit('SIGINT', 'SIGINT')
    handle.dispose()
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(exits).to.deep.equal([])
  })
})
