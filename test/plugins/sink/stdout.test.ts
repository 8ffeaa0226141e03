import {spawn} from 'node:child_process'
import {expect} from 'chai'
import stdout from '../../../src/plugins/sink/stdout.js'
import type {EtlRecord, SinkInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../support/plugin-context.js'

const PLUGIN_URL = new URL('../../../src/plugins/sink/stdout.ts', import.meta.url).href

type WriteCallback = (error?: Error | null) => void

/** Replaces process.stdout.write for one test: chunks are captured, and the test decides when they "complete". */
function captureStdout(options: {full?: boolean} = {}) {
  const original = process.stdout.write
  const chunks: string[] = []
  const callbacks: WriteCallback[] = []
  process.stdout.write = ((chunk: string, callback?: WriteCallback) => {
    chunks.push(String(chunk))
    if (callback) callbacks.push(callback)
    return !options.full
  }) as typeof process.stdout.write
  return {
    chunks,
    /** Completes the writes so far, as the OS taking the bytes would. */
    complete: () => callbacks.splice(0).forEach((callback) => callback()),
    restore: () => {
      process.stdout.write = original
    },
  }
}

async function createSink(config: Record<string, unknown> = {}) {
  const test = testContext()
  return (await stdout.create(configFor(stdout, config), test.context)) as SinkInstance
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('stdout sink', () => {
  const records: EtlRecord[] = [
    {symbol: 'BTC', price_usd: 29457.23, timestamp: '2025-08-08T16:10:00.000Z'},
    {symbol: 'ETH', price_usd: 1800.5, timestamp: '2025-08-08T16:10:00.000Z', note: 'a "quoted"\nline'},
  ]

  it('prints one JSON line per record in a single write, and flush waits for it to complete', async () => {
    const sink = await createSink()
    const capture = captureStdout()
    try {
      await sink.write(records)
      let flushed = false
      const flushing = sink.flush().then(() => (flushed = true))
      await tick()
      expect(flushed, 'flush must wait for the write to complete').to.equal(false)
      capture.complete()
      await flushing
      expect(capture.chunks).to.have.length(1)
      expect(
        capture.chunks[0]
          .split('\n')
          .slice(0, -1)
          .map((line) => JSON.parse(line)),
      ).to.deep.equal(records)
      expect(capture.chunks[0].endsWith('\n')).to.equal(true)
    } finally {
      capture.restore()
    }
    await sink.close()
  })

  it('prints only the chosen fields, in order', async () => {
    const sink = await createSink({fields: ['price_usd', 'symbol', 'missing']})
    const capture = captureStdout()
    try {
      const writing = sink.write(records)
      capture.complete()
      await writing
      expect(capture.chunks.join('')).to.equal(
        '{"price_usd":29457.23,"symbol":"BTC"}\n{"price_usd":1800.5,"symbol":"ETH"}\n',
      )
    } finally {
      capture.restore()
    }
    await sink.close()
  })

  it('indents records when pretty', async () => {
    const sink = await createSink({pretty: true})
    const capture = captureStdout()
    try {
      const writing = sink.write([{a: 1}])
      capture.complete()
      await writing
      expect(capture.chunks.join('')).to.equal('{\n  "a": 1\n}\n')
    } finally {
      capture.restore()
    }
    await sink.close()
  })

  it("waits for 'drain' when stdout's buffer is full (backpressure)", async () => {
    const sink = await createSink()
    const capture = captureStdout({full: true})
    try {
      let written = false
      const writing = sink.write(records).then(() => (written = true))
      await tick()
      await tick()
      expect(written, 'write must wait while stdout is full').to.equal(false)
      process.stdout.emit('drain')
      await writing
      expect(written).to.equal(true)
      capture.complete()
      await sink.flush()
    } finally {
      capture.restore()
    }
    await sink.close()
  })

  it('writes real JSON lines to a pipe from a child process', async () => {
    const script = `
      const {default: plugin} = await import(${JSON.stringify(PLUGIN_URL)})
      const context = {logger: {debug() {}, info() {}, warn() {}, error() {}}, count() {}}
      const sink = await plugin.create({pretty: false}, context)
      for (let i = 0; i < 3; i++) await sink.write([{i, text: 'a,b'}])
      await sink.flush()
      await sink.close()
    `
    const {stdout: out, code} = await runChild(script)
    expect(code).to.equal(0)
    expect(out).to.equal('{"i":0,"text":"a,b"}\n{"i":1,"text":"a,b"}\n{"i":2,"text":"a,b"}\n')
  })

  it('turns a closed pipe (EPIPE) into a rejected write instead of a crash', async () => {
    const script = `
      const {default: plugin} = await import(${JSON.stringify(PLUGIN_URL)})
      const context = {logger: {debug() {}, info() {}, warn() {}, error() {}}, count() {}}
      const sink = await plugin.create({pretty: false}, context)
      const batch = Array.from({length: 1000}, (_, i) => ({i, padding: 'x'.repeat(100)}))
      try {
        for (let n = 0; n < 10000; n++) await sink.write(batch)
        await sink.flush()
        process.stderr.write('no error\\n')
      } catch (error) {
        process.stderr.write('rejected: ' + error.message + '\\n')
        process.exitCode = 3
      }
    `
    const {stderr, code} = await runChild(script, {closeStdoutAfterFirstChunk: true})
    expect(stderr).to.include('rejected: cannot write to stdout')
    expect(code).to.equal(3)
  })
})

function runChild(
  script: string,
  options: {closeStdoutAfterFirstChunk?: boolean} = {},
): Promise<{stdout: string; stderr: string; code: number | null}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (options.closeStdoutAfterFirstChunk) child.stdout.destroy()
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({stdout, stderr, code}))
  })
}
