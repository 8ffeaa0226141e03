import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {progressFor} from '../../../src/runtime/progress/progress-for.js'
import {ProgressLog} from '../../../src/runtime/progress/progress-log.js'
import {ProgressTally} from '../../../src/runtime/progress/progress-tally.js'
import {StatusLine} from '../../../src/runtime/progress/status-line.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("etl run's progress: status line and progress log", () => {
  it('tallies records in, written and dead-lettered from the counts, with rates between readings', () => {
    let now = 1_000
    const tally = new ProgressTally(() => now)
    const counters = new Counters()
    counters.observe(tally)
    expect(tally.read()).to.deep.include({recordsPerSecond: 0, consumed: 0, lastRecordAt: undefined})
    counters.add('source replay', 'produced', 50)
    counters.add('process', 'consumed', 40)
    counters.add('sink csv', 'written', 30)
    counters.add('sink pg', 'written', 10)
    counters.add('process', 'dead_lettered', 2, {code: 'ETL_RECORD_INVALID'})
    counters.add('sink csv', 'ignored_field', 5)
    now = 3_000
    expect(tally.read()).to.deep.equal({
      recordsPerSecond: 20, // consumed is what comes in when the process stage runs here
      writtenPerSecond: 20,
      produced: 50,
      consumed: 40,
      written: 40,
      deadLettered: 2,
      lastRecordAt: 1_000,
    })
  })

  it('keeps one line at the bottom of a terminal, log lines above it, and wipes it when stopped', async () => {
    let screen = ''
    const terminal = {write: (text: string) => ((screen += text), true), columns: 160}
    const line = new StatusLine(terminal, 20)
    const counters = new Counters()
    const logger = createLogger('etl', {write: line.writeAbove, format: 'text'})
    line.start({pipelineName: 'btc', counters, logger, lag: async () => 7})
    counters.add('process', 'consumed', 10)
    counters.add('sink csv', 'written', 10)
    await sleep(60)
    logger.info('hello')
    await sleep(30)
    line.stop()
    const wipe = '\r\u001b[2K'
    const frames = screen.split(wipe).filter(Boolean)
    const hello = frames.findIndex((frame) => frame.includes('hello'))
    expect(frames[hello]).to.match(/INFO {2}\[etl\] hello\nbtc │ /) // the log line, then the status line again
    expect(frames.findLast((frame) => frame.startsWith('btc │'))).to.match(
      /^btc │ [\d.]+ rec\/s │ written 10 \([\d.]+\/s\) │ lag 7 │ DLQ 0 │ last record \d\d:\d\d:\d\d/,
    )
    expect(screen.endsWith(wipe)).to.equal(true)
    // Cut to a narrow terminal's width, so it never wraps (a wrapped line could not be wiped).
    let narrow = ''
    const small = new StatusLine({write: (text: string) => ((narrow += text), true), columns: 30}, 1000)
    small.start({pipelineName: 'btc', counters, logger})
    small.stop()
    expect(narrow.split(wipe).filter(Boolean)).to.deep.equal(['btc │ 0 rec/s │ written 0 (0…'])
  })

  it('writes a progress log line with the figures off a terminal, and nothing with --quiet', async () => {
    const lines: string[] = []
    const logger = createLogger('etl', {write: (l) => lines.push(l), format: 'json'})
    const counters = new Counters()
    const progress = new ProgressLog(30)
    progress.start({pipelineName: 'btc', counters, logger, lag: async () => 3})
    counters.add('process', 'consumed', 5)
    await sleep(80)
    progress.stop()
    const count = lines.length
    await sleep(60)
    expect(lines.length).to.equal(count)
    const line = JSON.parse(lines[0]) as Record<string, unknown>
    expect(line).to.include({level: 'info', logger: 'etl', message: 'progress', consumed: 5, lag: 3, dead_lettered: 0})
    expect(line.last_record_at).to.match(/^\d{4}-\d\d-\d\dT/)
    expect(progressFor({quiet: true, intervalMs: 1000})).to.deep.equal({})
    expect(progressFor({quiet: false, intervalMs: 1000}).progress).to.be.instanceOf(ProgressLog)
    const onTerminal = progressFor({quiet: false, terminal: {write: () => true, columns: 80}, intervalMs: 1000})
    expect(onTerminal.progress).to.be.instanceOf(StatusLine)
    expect(onTerminal.write).to.be.a('function')
  })
})
