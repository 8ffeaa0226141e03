/** The runtime's own keys in a pipeline file: `retry:` on sources and sinks, `shutdown:` at the top. */
import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadPipeline} from '../../../src/index.js'
import {DEFAULT_SINK_RETRY, DEFAULT_SOURCE_RETRY} from '../../../src/runtime/retry.js'

function pipelineFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'etl-runtime-keys-')), 'pipeline.yaml')
  writeFileSync(file, text)
  return file
}

describe('runtime keys of a pipeline file', () => {
  const title =
    "reads retry: on the source and each sink, keeps it out of the plugin config and fills the kind's defaults"
  it(title, async () => {
    const file = pipelineFile(
      [
        'source:',
        '  type: coingecko',
        '  retry: {maxAttempts: 3, initialDelay: 200ms}',
        'sinks:',
        '  - type: csv',
        '    retry: {maxAttempts: 0, maxDelay: 2m}',
        '  - type: stdout',
        'shutdown:',
        '  grace: 90s',
      ].join('\n'),
    )
    const pipeline = await loadPipeline(file, {env: {}})
    expect(pipeline.sources[0]!.retry).to.deep.equal({
      maxAttempts: 3,
      initialDelayMs: 200,
      maxDelayMs: DEFAULT_SOURCE_RETRY.maxDelayMs,
    })
    expect(pipeline.sources[0]!.config).to.not.have.property('retry')
    expect(pipeline.sinks[0].retry).to.deep.equal({
      maxAttempts: 0,
      initialDelayMs: DEFAULT_SINK_RETRY.initialDelayMs,
      maxDelayMs: 120_000,
    })
    expect(pipeline.sinks[0].config).to.not.have.property('retry')
    expect(pipeline.sinks[1].retry).to.deep.equal(DEFAULT_SINK_RETRY)
    expect(pipeline.shutdown).to.deep.equal({graceMs: 90_000})
  })

  it('defaults: sources retry without limit, sinks 5 times; the grace period is 30 s', async () => {
    const pipeline = await loadPipeline(pipelineFile('source: {type: replay}\nsinks: [{type: stdout}]\n'), {env: {}})
    expect(pipeline.sources[0]!.retry).to.deep.equal(DEFAULT_SOURCE_RETRY)
    expect(pipeline.sinks[0].retry).to.deep.equal(DEFAULT_SINK_RETRY)
    expect(pipeline.shutdown.graceMs).to.equal(30_000)
  })
})
