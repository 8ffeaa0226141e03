import {expect} from 'chai'
import {
  log4j2Properties,
  replicationOf,
  resolveBrokerConfig,
  serverProperties,
} from '../../../src/runtime/kafka-local/broker-config.js'

/** Parses .properties text the simple way Kafka's files are written: key=value lines, # comments. */
function parse(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string])
  return new Map(entries)
}

describe('broker-config', () => {
  const dirs = {dataDir: '/state/kafka/data', logsDir: '/state/kafka/logs'}

  describe('resolveBrokerConfig', () => {
    it('defaults to 127.0.0.1:9092 with the controller on the next port and 3 partitions', () => {
      const expected = {...dirs, host: '127.0.0.1', port: 9092, controllerPort: 9093, numPartitions: 3}
      expect(resolveBrokerConfig(dirs)).to.deep.equal(expected)
    })

    it('puts the controller next to a custom port unless it is given', () => {
      expect(resolveBrokerConfig({...dirs, port: 19092}).controllerPort).to.equal(19093)
      expect(resolveBrokerConfig({...dirs, port: 19092, controllerPort: 40000}).controllerPort).to.equal(40000)
    })
  })

  describe('serverProperties', () => {
    it('listens and advertises on the configured ports', () => {
      const props = parse(serverProperties({...dirs, port: 39092, controllerPort: 39999}))
      expect(props.get('listeners')).to.equal('PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39999')
      expect(props.get('advertised.listeners')).to.equal('PLAINTEXT://127.0.0.1:39092')
      expect(props.get('controller.quorum.voters')).to.equal('1@127.0.0.1:39999')
      expect(props.get('controller.listener.names')).to.equal('CONTROLLER')
      expect(props.get('inter.broker.listener.name')).to.equal('PLAINTEXT')
    })

    it('is a combined KRaft node storing its log in the data folder', () => {
      const props = parse(serverProperties(dirs))
      expect(props.get('process.roles')).to.equal('broker,controller')
      expect(props.get('node.id')).to.equal('1')
      expect(props.get('log.dirs')).to.equal('/state/kafka/data')
      expect(props.get('num.partitions')).to.equal('3')
    })

    it('sets every internal topic to one replica, as one node requires', () => {
      const props = parse(serverProperties(dirs))
      for (const key of [
        'offsets.topic.replication.factor',
        'transaction.state.log.replication.factor',
        'transaction.state.log.min.isr',
        'share.coordinator.state.topic.replication.factor',
        'share.coordinator.state.topic.min.isr',
        'default.replication.factor',
      ]) {
        expect(props.get(key), key).to.equal('1')
      }
      expect(props.get('group.initial.rebalance.delay.ms')).to.equal('0')
    })

    it('honours the partition count and host', () => {
      const props = parse(serverProperties({...dirs, host: 'localhost', port: 1234, numPartitions: 6}))
      expect(props.get('num.partitions')).to.equal('6')
      expect(props.get('advertised.listeners')).to.equal('PLAINTEXT://localhost:1234')
    })

    it('escapes backslashes so Windows paths survive Java property parsing', () => {
      const props = parse(serverProperties({dataDir: 'C:\\etl\\data', logsDir: 'C:\\etl\\logs'}))
      expect(props.get('log.dirs')).to.equal('C:\\\\etl\\\\data')
    })

    it('makes one node of a cluster a voter among all, with 3 replicas and min.insync.replicas 2', () => {
      const voters = [1, 2, 3].map((nodeId) => ({nodeId, host: '127.0.0.1', controllerPort: 40000 + nodeId}))
      const props = parse(serverProperties({...dirs, port: 39094, controllerPort: 40002, cluster: {nodeId: 2, voters}}))
      expect(props.get('node.id')).to.equal('2')
      expect(props.get('controller.quorum.voters')).to.equal('1@127.0.0.1:40001,2@127.0.0.1:40002,3@127.0.0.1:40003')
      expect(props.get('listeners')).to.equal('PLAINTEXT://127.0.0.1:39094,CONTROLLER://127.0.0.1:40002')
      for (const key of [
        'offsets.topic.replication.factor',
        'transaction.state.log.replication.factor',
        'share.coordinator.state.topic.replication.factor',
        'default.replication.factor',
      ]) {
        expect(props.get(key), key).to.equal('3')
      }
      for (const key of [
        'min.insync.replicas',
        'transaction.state.log.min.isr',
        'share.coordinator.state.topic.min.isr',
      ])
        expect(props.get(key), key).to.equal('2')
    })
  })

  describe('replicationOf', () => {
    it('keeps one broker at 1/1, two at 2/1, and three or more at 3 replicas with 2 in sync', () => {
      expect([1, 2, 3, 5].map(replicationOf)).to.deep.equal([
        {replicas: 1, minInsync: 1},
        {replicas: 2, minInsync: 1},
        {replicas: 3, minInsync: 2},
        {replicas: 3, minInsync: 2},
      ])
    })
  })

  describe('log4j2Properties', () => {
    it('logs to server.log in the logs folder and rolls it', () => {
      const props = parse(log4j2Properties(dirs))
      expect(props.get('appender.server.fileName')).to.equal('/state/kafka/logs/server.log')
      expect(props.get('appender.server.filePattern')).to.equal('/state/kafka/logs/server.log.%i')
      expect(props.get('appender.server.type')).to.equal('RollingFile')
      expect(props.get('rootLogger.appenderRef.server.ref')).to.equal('server')
      expect(props.get('rootLogger.level')).to.equal('INFO')
    })
  })
})
