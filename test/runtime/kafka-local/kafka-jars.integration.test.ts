import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createLogger} from '../../../src/runtime/logger.js'
import {ensureKafkaJars, kafkaHome} from '../../../src/runtime/kafka-local/kafka-jars.js'

describe('ensureKafkaJars (real mvn, into a fresh cache)', function () {
  this.timeout(300_000)
  let cacheRoot: string

  before(async () => {
    cacheRoot = await mkdtemp(join(tmpdir(), 'etl-jars-'))
  })

  after(async () => {
    await rm(cacheRoot, {recursive: true, force: true})
  })

  it('fetches once for concurrent callers, taking over a lock left by a dead process', async () => {
    const home = kafkaHome(cacheRoot)
    // A lock whose owner is dead, as a killed download leaves it.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid
    await mkdir(join(home, '.lock'), {recursive: true})
    await writeFile(join(home, '.lock', 'owner.json'), JSON.stringify({pid: deadPid}))

    const lines: string[] = []
    const logger = createLogger('jars', {write: (line) => lines.push(line)})
    const [a, b] = await Promise.all([ensureKafkaJars({cacheRoot, logger}), ensureKafkaJars({cacheRoot, logger})])

    expect(a).to.equal(join(home, 'libs'))
    expect(b).to.equal(a)
    const jars = readdirSync(a)
    expect(jars).to.include('kafka_2.13-4.2.1.jar')
    expect(jars).to.include('log4j-slf4j-impl-2.25.3.jar')
    expect(jars).to.include('.complete')
    expect(lines.filter((line) => line.includes('fetching Kafka 4.2.1 jars from Maven Central'))).to.have.length(1)
    expect(lines.some((line) => line.includes('stale Kafka jar download lock'))).to.equal(true)
    // Nothing half-done is left beside the finished folder.
    expect(readdirSync(home).sort()).to.deep.equal(['libs', 'pom.xml'])
  })

  it('returns the cached folder without fetching again', async () => {
    const lines: string[] = []
    const libs = await ensureKafkaJars({cacheRoot, logger: createLogger('jars', {write: (line) => lines.push(line)})})
    expect(libs).to.equal(join(kafkaHome(cacheRoot), 'libs'))
    expect(lines).to.deep.equal([])
    expect(existsSync(join(libs, 'kafka_2.13-4.2.1.jar'))).to.equal(true)
  })
})
