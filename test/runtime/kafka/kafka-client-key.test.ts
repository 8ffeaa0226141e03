/** `kafka.client` picks the Kafka client library: kafkajs by default, platformatic on request, nothing else. */
import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadPipeline} from '../../../src/index.js'
import {ConfigError, formatProblem} from '../../../src/runtime/config/problems.js'

describe('kafka.client', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-kafka-client-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const load = async (kafka: string) => {
    const file = join(dir, 'pipeline.yaml')
    await writeFile(file, `name: t\n${kafka}source: {type: replay}\nsinks: [{type: stdout}]\n`)
    return loadPipeline(file, {env: {}})
  }

  it('defaults to kafkajs', async () => {
    expect((await load('')).kafka.client).to.equal('kafkajs')
  })

  it('takes platformatic', async () => {
    expect((await load('kafka:\n  client: platformatic\n')).kafka.client).to.equal('platformatic')
  })

  it('rejects any other value, at its line', async () => {
    const error = await load('kafka:\n  client: rdkafka\n').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(ConfigError)
    const problems = (error as ConfigError).problems
    expect(problems.map(formatProblem).join('\n')).to.include('kafka.client').and.include('kafkajs')
    expect(problems[0].line).to.equal(3)
  })
})
