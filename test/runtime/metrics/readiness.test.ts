import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import type {KafkaProbeState} from '../../../src/runtime/metrics/kafka-probe.js'
import {Readiness} from '../../../src/runtime/metrics/readiness.js'

describe('Readiness (/readyz)', () => {
  let kafka: KafkaProbeState
  beforeEach(() => (kafka = {reachable: true, checkedAt: Date.now()}))

  function readiness(sinks?: number): {counters: Counters; readiness: Readiness} {
    const counters = new Counters()
    const result = new Readiness({kafka: () => kafka, sinks})
    counters.observe(result)
    return {counters, readiness: result}
  }

  it('is not ready before the sinks are open and the partitions assigned, and says why', () => {
    const {counters, readiness: r} = readiness(2)
    let report = r.report()
    expect(report.ready).to.equal(false)
    expect(report.checks.assignment).to.deep.include({ok: false})
    expect(report.checks.sinks.reason).to.equal('0 of 2 sink(s) open')
    counters.level('process', 'sinks_open', 2)
    expect(r.report().ready).to.equal(false)
    counters.level('process', 'partitions_assigned', 3)
    report = r.report()
    expect(report.ready).to.equal(true)
    expect(report.checks.assignment).to.deep.equal({ok: true, partitions: 3})
  })

  it('is ready with no partitions (more members than partitions) once the group assigned them', () => {
    const {counters, readiness: r} = readiness(1)
    counters.level('process', 'sinks_open', 1)
    counters.level('process', 'partitions_assigned', 0)
    expect(r.report().ready).to.equal(true)
  })

  it('is not ready while Kafka does not answer, nor once the sinks closed', () => {
    const {counters, readiness: r} = readiness(1)
    counters.level('process', 'sinks_open', 1)
    counters.level('process', 'partitions_assigned', 1)
    kafka = {reachable: false, checkedAt: Date.now(), error: 'connection refused'}
    const report = r.report()
    expect(report.ready).to.equal(false)
    expect(report.checks.kafka.reason).to.equal('Kafka does not answer: connection refused')
    kafka = {reachable: true, checkedAt: Date.now()}
    expect(r.report().ready).to.equal(true)
    counters.level('process', 'sinks_open', 0)
    expect(r.report().ready).to.equal(false)
  })

  it('checks only Kafka where the process stage does not run (--stage source)', () => {
    const {readiness: r} = readiness(undefined)
    expect(Object.keys(r.report().checks)).to.deep.equal(['kafka'])
    expect(r.report().ready).to.equal(true)
  })
})
