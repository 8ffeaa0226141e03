import {expect} from 'chai'
import {EtlError} from '../../../src/runtime/errors.js'
import {
  checkJava,
  javaCommand,
  javaMajor,
  kafkaHome,
  KAFKA_VERSION,
  pomXml,
} from '../../../src/runtime/kafka-local/kafka-jars.js'

describe('kafka-jars', () => {
  it('pins Kafka 4.2.1, the newest release whose tools are on Maven Central', () => {
    expect(KAFKA_VERSION).to.equal('4.2.1')
    expect(kafkaHome('/cache')).to.equal('/cache/kafka-4.2.1')
  })

  it('asks Maven for the broker, its tools and a log4j2 SLF4J 1.x binding', () => {
    const pom = pomXml()
    for (const artifact of ['kafka_2.13', 'kafka-tools', 'log4j-slf4j-impl', 'log4j-core', 'log4j-api']) {
      expect(pom).to.include(`<artifactId>${artifact}</artifactId>`)
    }
    expect(pom.match(/<version>4\.2\.1<\/version>/g)).to.have.length(3) // the project itself and both kafka jars
  })

  it('reads the Java major version from both old and new version strings', () => {
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).to.equal(17)
    expect(javaMajor('java version "1.8.0_392"')).to.equal(8)
    expect(javaMajor('openjdk version "21" 2023-09-19')).to.equal(21)
    expect(javaMajor('no version here')).to.equal(undefined)
  })

  it('uses $JAVA_HOME/bin/java only when it exists', () => {
    expect(javaCommand({JAVA_HOME: '/definitely/not/a/jdk'})).to.equal('java')
    expect(javaCommand({})).to.equal('java')
  })

  it('explains how to get Java when it cannot be run', () => {
    let thrown: unknown
    try {
      checkJava('/definitely/not/a/jdk/bin/java')
    } catch (error) {
      thrown = error
    }
    expect(thrown).to.be.instanceOf(EtlError)
    expect((thrown as EtlError).code).to.equal('ETL_BROKER_SETUP')
    expect((thrown as EtlError).message)
      .to.match(/Install a JDK/)
      .and.match(/KAFKA_BROKERS/)
  })
})
