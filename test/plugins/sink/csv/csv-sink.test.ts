/**
 * The csv sink's exactly-once machinery on real files: positions recorded beside the file at flush, bytes past them
 * cut off at start-up (after a real kill -9 of the writing process, and for a torn row), a file shorter than recorded,
 * positions of another topic, a real half-failed append (RLIMIT_FSIZE) retried without a partial or doubled row, and
 * the one-writer lock between processes.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {crc32} from 'node:zlib'
import {expect} from 'chai'
import csv from '../../../../src/plugins/sink/csv/index.js'
import type {EtlRecord, SinkInstance} from '../../../../src/runtime/plugin-types.js'
import type {ChildStep} from '../../../support/csv-sink-child.js'
import {configFor, testContext} from '../../../support/plugin-context.js'
import {REPO} from '../../../support/run-cli.js'

const CHILD = join(REPO, 'test', 'support', 'csv-sink-child.ts')
// The same rows the child writes for {op: 'write', rows: [from, to]}.
const rows = (from: number, to: number): EtlRecord[] =>
  Array.from({length: to - from}, (_, i) => ({n: from + i, text: `row ${from + i}`}))
const expectedCsv = (from: number, to: number) =>
  'n,text\n' +
  rows(from, to)
    .map((r) => `${r.n},${r.text}\n`)
    .join('')

interface ChildLine {
  step?: number
  ok?: boolean
  value?: unknown
  error?: string
  waiting?: boolean
  done?: boolean
  logs?: string[]
}

interface Child {
  process: ChildProcess
  lines: ChildLine[]
  /** Resolves with every line once the child waits (step `wait`) or ended. */
  settled: Promise<ChildLine[]>
  exited: Promise<number | null>
}

function runChild(dir: string, steps: ChildStep[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, JSON.stringify(steps)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: ChildLine[] = []
  let stderr = ''
  let buffer = ''
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const settled = new Promise<ChildLine[]>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, end)) as ChildLine
        buffer = buffer.slice(end + 1)
        lines.push(line)
        if (line.waiting || line.done) resolve(lines)
      }
    })
    void exited.then((code) => reject(new Error(`child exited (${code}) before it settled\n${stderr}`)))
  })
  return {process: child, lines, settled, exited}
}

describe('csv sink, exactly-once (positions file, truncation, retries, lock)', function () {
  this.timeout(60_000)
  let dir: string
  const children: Child[] = []

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-csv-eo-'))
  })
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
      await child.exited
    }
    await rm(dir, {recursive: true, force: true})
  })

  async function sink(config: Record<string, unknown> = {path: 'out.csv'}) {
    const test = testContext({cwd: dir})
    const instance = (await csv.create(configFor(csv, config), test.context)) as SinkInstance
    return {...test, sink: instance}
  }
  const file = () => join(dir, 'out.csv')
  interface PositionsLine {
    version: number
    serial: number
    topic: string
    bytes: number
    partitions: Record<string, string>
    check: string
  }
  const positionLines = async () =>
    (await readFile(`${file()}.offsets.json`, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as PositionsLine)
  /** The newest record of the positions file, without its serial number and check. */
  const offsetsJson = async () => {
    const [newest] = (await positionLines()).sort((a, b) => b.serial - a.serial)
    const {serial: _serial, check: _check, ...record} = newest
    return record
  }
  const origin = (partition: number, nextOffset: number) => ({partition, nextOffset: BigInt(nextOffset)})

  it('records per partition the offset after the last written input, and the file length, at flush', async () => {
    const {sink: s} = await sink()
    expect(await s.positions!('prices')).to.deep.equal(new Map())
    await s.write(rows(0, 3), origin(0, 3))
    await s.write(rows(3, 5), origin(1, 7))
    expect(existsSync(`${file()}.offsets.json`), 'nothing recorded before the flush').to.equal(false)
    await s.flush()
    const size = (await stat(file())).size
    expect(await offsetsJson()).to.deep.equal({
      version: 2,
      topic: 'prices',
      bytes: size,
      partitions: {'0': '3', '1': '7'},
    })
    // An input with no rows for this sink still moves its position on.
    await s.write([], origin(0, 9))
    await s.close()
    expect(await offsetsJson()).to.deep.equal({
      version: 2,
      topic: 'prices',
      bytes: size,
      partitions: {'0': '9', '1': '7'},
    })
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 5))

    const again = await sink()
    expect(await again.sink.positions!('prices')).to.deep.equal(
      new Map([
        [0, 9n],
        [1, 7n],
      ]),
    )
    await again.sink.close()
  })

  it('keeps no positions file when nobody asked for positions (a sink used outside the process stage)', async () => {
    const {sink: s} = await sink()
    await s.write(rows(0, 2))
    await s.close()
    expect(existsSync(`${file()}.offsets.json`)).to.equal(false)
    expect(existsSync(`${file()}.lock`), 'the lock is released on close').to.equal(false)
  })

  it('after a kill -9 between appending and recording rows, the next start cuts them off: written once', async () => {
    const child = runChild(dir, [
      {op: 'create', config: {path: 'out.csv'}},
      {op: 'positions', topic: 'prices'},
      {op: 'write', rows: [0, 2], origin: {partition: 0, nextOffset: '2'}},
      {op: 'flush'},
      // over 64 KiB: appended by the next write
      {op: 'write', rows: [2, 6000], origin: {partition: 0, nextOffset: '6000'}},
      {op: 'write', rows: [6000, 6001], origin: {partition: 0, nextOffset: '6001'}},
      {op: 'wait'},
    ])
    children.push(child)
    const lines = await child.settled
    expect(
      lines.filter((l) => l.ok === false),
      JSON.stringify(lines),
    ).to.deep.equal([])
    const recorded = (await offsetsJson()).bytes
    expect((await stat(file())).size, 'rows past the recorded position are on disk').to.be.greaterThan(
      recorded + 64 * 1024,
    )
    child.process.kill('SIGKILL')
    await child.exited

    // The dead writer's lock is taken over; the unrecorded rows are cut off, so a replay from offset 2 adds them once.
    const {sink: s, logs} = await sink()
    expect(logs.join('\n')).to.match(
      /removed the last \d+ byte\(s\) of .*out\.csv: rows written after the last recorded position/,
    )
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 2))
    expect(await s.positions!('prices')).to.deep.equal(new Map([[0, 2n]]))
    await s.write(rows(2, 6001), origin(0, 6001))
    await s.close()
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 6001))
    expect((await offsetsJson()).bytes).to.equal((await stat(file())).size)
  })

  it('records positions in two slots of one width, overwritten in place by turns, each with its check', async () => {
    const {sink: s} = await sink()
    await s.positions!('prices')
    const sizes: number[] = []
    for (let n = 0; n < 5; n++) {
      await s.write(rows(n, n + 1), origin(0, n + 1))
      await s.flush()
      sizes.push((await stat(`${file()}.offsets.json`)).size)
      const text = await readFile(`${file()}.offsets.json`, 'utf8')
      const lines = text.split('\n').slice(0, -1)
      expect(lines, 'two slots').to.have.length(2)
      expect(lines[0].length, 'of one width').to.equal(lines[1].length)
      for (const line of lines) {
        const {check, ...body} = JSON.parse(line) as PositionsLine
        expect(check, line).to.equal(crc32(JSON.stringify(body)).toString(16).padStart(8, '0'))
      }
    }
    expect(new Set(sizes).size, `the file never changes size: ${sizes.join(', ')}`).to.equal(1)
    const serials = (await positionLines()).map((line) => line.serial)
    expect(serials.sort(), 'the newest record and the one before it').to.deep.equal([4, 5])
    expect((await positionLines()).find((line) => line.serial === 5)).to.deep.include({partitions: {'0': '5'}})
    await s.close()
  })

  it('after a torn write of the newer slot, the older record counts: rows after it are cut off', async () => {
    const first = await sink()
    await first.sink.positions!('prices')
    await first.sink.write(rows(0, 3), origin(0, 3))
    await first.sink.flush()
    await first.sink.write(rows(3, 5), origin(0, 5))
    await first.sink.close()
    const text = await readFile(`${file()}.offsets.json`, 'utf8')
    const lines = text.split('\n')
    const newer = lines.findIndex((line) => line.includes('"partitions":{"0":"5"}'))
    expect(newer, text).to.be.at.least(0)
    // Bytes of the slot changed but still JSON (a write torn mid-way, or bit rot): only its check tells.
    lines[newer] = lines[newer].replace('"0":"5"', '"0":"9"')
    await writeFile(`${file()}.offsets.json`, lines.join('\n'))
    const {sink: s, logs} = await sink()
    expect(await s.positions!('prices')).to.deep.equal(new Map([[0, 3n]]))
    expect(logs.join('\n')).to.include('removed the last')
    expect(logs.join('\n')).not.to.include('unreadable')
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 3))
    await s.write(rows(3, 5), origin(0, 5))
    await s.close()
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 5))
  })

  it('reads a positions file of version 1 (one JSON line, earlier releases), writes slots from then on', async () => {
    const first = await sink()
    await first.sink.write(rows(0, 3))
    await first.sink.close()
    const bytes = (await stat(file())).size
    await writeFile(
      `${file()}.offsets.json`,
      JSON.stringify({version: 1, topic: 'prices', bytes, partitions: {'0': '3'}}) + '\n',
    )
    await appendFile(file(), '3,row 3\n') // rows of an input after the recorded one
    const {sink: s} = await sink()
    expect(await s.positions!('prices')).to.deep.equal(new Map([[0, 3n]]))
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 3))
    await s.write(rows(3, 4), origin(0, 4))
    await s.close()
    expect(await positionLines()).to.have.length(2)
    expect(await offsetsJson()).to.deep.equal({version: 2, topic: 'prices', bytes: bytes + 8, partitions: {'0': '4'}})
  })

  it('rebuilds the positions file with wider slots when a record outgrows them', async () => {
    const {sink: s} = await sink()
    await s.positions!('prices')
    await s.write(rows(0, 1), origin(0, 1))
    await s.flush()
    const narrow = (await readFile(`${file()}.offsets.json`, 'utf8')).indexOf('\n')
    for (let partition = 1; partition < 40; partition++) await s.write([], origin(partition, 1_000_000 + partition))
    await s.flush()
    const text = await readFile(`${file()}.offsets.json`, 'utf8')
    const width = text.indexOf('\n')
    expect(width, 'wider slots').to.be.greaterThan(narrow)
    expect(text.length, 'still two slots').to.equal(2 * (width + 1))
    expect(Object.keys((await offsetsJson()).partitions)).to.have.length(40)
    await s.close()
    const again = await sink()
    expect((await again.sink.positions!('prices'))?.get(39)).to.equal(1_000_039n)
    await again.sink.close()
  })

  it('cuts a torn last row back to the recorded length', async () => {
    const first = await sink()
    await first.sink.positions!('prices')
    await first.sink.write(rows(0, 3), origin(0, 3))
    await first.sink.close()
    await appendFile(file(), '3,row') // a row the crash tore
    const {sink: s, logs} = await sink()
    expect(logs.join('\n')).to.include('removed the last 5 byte(s)')
    await s.write(rows(3, 4), origin(0, 4))
    await s.close()
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 4))
  })

  it('forgets the positions with a warning when the file is shorter than recorded (truncated, replaced)', async () => {
    const first = await sink()
    await first.sink.positions!('prices')
    await first.sink.write(rows(0, 3), origin(0, 3))
    await first.sink.close()
    await truncate(file(), 'n,text\n'.length)
    const {sink: s, logs} = await sink()
    expect(logs.join('\n')).to.match(/\[WARN\]|warn/i)
    expect(logs.join('\n')).to.match(
      /out\.csv is shorter \(7 bytes\) than out\.csv\.offsets\.json records \(\d+\): .*forgetting them/,
    )
    expect(await s.positions!('prices')).to.deep.equal(new Map())
    await s.write(rows(0, 1), origin(0, 1))
    await s.close()
    expect(await offsetsJson()).to.deep.include({bytes: (await stat(file())).size, partitions: {'0': '1'}})
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 1))
  })

  it('ignores, with a warning, positions recorded for another topic', async () => {
    const first = await sink()
    await first.sink.positions!('old-topic')
    await first.sink.write(rows(0, 2), origin(0, 2))
    await first.sink.close()
    const {sink: s, logs} = await sink()
    expect(await s.positions!('prices')).to.deep.equal(new Map())
    expect(logs.join('\n')).to.include('holds positions of topic old-topic, not prices; ignoring them')
    await s.write(rows(2, 3), origin(0, 1))
    await s.close()
    expect(await offsetsJson()).to.deep.include({topic: 'prices', partitions: {'0': '1'}})
  })

  it('a failed append (file size limit) leaves no partial row; retries add each row once', async function () {
    if (spawnSync('prlimit', ['--version']).status !== 0) this.skip() // util-linux prlimit sets RLIMIT_FSIZE here
    // Sizes: header 7 bytes, rows 0–9 8 bytes each, rows 10–99 10, rows 100–999 12, rows 1000–9999 14.
    const afterFirstRetry = 7 + 10 * 8 + 10 * 10 // header and rows 0–19
    const child = runChild(dir, [
      {op: 'create', config: {path: 'out.csv'}},
      {op: 'positions', topic: 'prices'},
      {op: 'write', rows: [0, 2], origin: {partition: 0, nextOffset: '2'}},
      {op: 'flush'},
      {op: 'limit', bytes: 7 + 2 * 8 + 20}, // room for two and a half of the next rows
      {op: 'write', rows: [2, 20], origin: {partition: 0, nextOffset: '20'}},
      {op: 'flush'}, // 6: fails halfway
      {op: 'flush'}, // 7: fails halfway again
      {op: 'limit', bytes: 'unlimited'},
      {op: 'flush'}, // 9: succeeds
      {op: 'limit', bytes: afterFirstRetry + 50},
      {op: 'write', rows: [20, 30], origin: {partition: 0, nextOffset: '30'}}, // 11: queued (100 bytes)
      // 12: over 64 KiB: appends 11's rows first: fails
      {op: 'write', rows: [30, 6000], origin: {partition: 0, nextOffset: '6000'}},
      {op: 'limit', bytes: 'unlimited'},
      {op: 'write', rows: [30, 6000], origin: {partition: 0, nextOffset: '6000'}}, // 14: the retry
      {op: 'close'},
    ])
    children.push(child)
    const lines = await child.settled
    const failed = lines.filter((l) => l.ok === false)
    expect(
      failed.map((l) => l.step),
      JSON.stringify(lines),
    ).to.deep.equal([6, 7, 12])
    expect(
      failed.every((l) => /EFBIG/.test(l.error!)),
      JSON.stringify(failed),
    ).to.equal(true)
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 6000))
    expect(await offsetsJson()).to.deep.include({bytes: (await stat(file())).size, partitions: {'0': '6000'}})
  })

  it('refuses a file a live process writes (ETL_SINK_LOCKED, naming it); takes the lock once it died', async () => {
    const child = runChild(dir, [{op: 'create', config: {path: 'out.csv'}}, {op: 'wait'}])
    children.push(child)
    await child.settled
    const error = await sink().then(
      () => undefined,
      (e: Error & {code?: string}) => e,
    )
    expect(error?.code).to.equal('ETL_SINK_LOCKED')
    expect(error?.message).to.include(`is being written by process ${child.process.pid}`)
    child.process.kill('SIGKILL')
    await child.exited
    const {sink: s} = await sink()
    await s.write(rows(0, 1))
    await s.close()
    expect(await readFile(file(), 'utf8')).to.equal(expectedCsv(0, 1))
  })

  it('two sinks of a process share one file at-least-once: no positions; the positions file removed', async () => {
    const first = await sink()
    await first.sink.positions!('prices')
    await first.sink.write(rows(0, 1), origin(0, 1))
    await first.sink.flush()
    expect(existsSync(`${file()}.offsets.json`)).to.equal(true)
    const second = await sink()
    expect(second.logs.join('\n')).to.include('another csv sink of this process writes')
    expect(existsSync(`${file()}.offsets.json`)).to.equal(false)
    expect(await second.sink.positions!('prices')).to.equal(undefined)
    await first.sink.write(rows(1, 2), origin(0, 2))
    await Promise.all([first.sink.close(), second.sink.close()])
    expect(existsSync(`${file()}.offsets.json`)).to.equal(false)
    expect(existsSync(`${file()}.lock`)).to.equal(false)
  })
})
