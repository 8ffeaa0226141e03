import {expect} from 'chai'
import {shutdownOnSignals} from '../../src/runtime/lifecycle.js'
import {createLogger} from '../../src/runtime/logger.js'

describe('shutdownOnSignals', () => {
  const lines: string[] = []
  const logger = createLogger('test', {write: (line) => lines.push(line)})

  it('aborts on the first signal, ignores a duplicate arriving at once, forces the exit on a later one', async () => {
    const exits: number[] = []
    const handle = shutdownOnSignals(logger, (code) => exits.push(code))
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
    const handle = shutdownOnSignals(logger, () => undefined)
    expect(process.listenerCount('SIGINT')).to.equal(before + 1)
    handle.dispose()
    expect(process.listenerCount('SIGINT')).to.equal(before)
  })
})
