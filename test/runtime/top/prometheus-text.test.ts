import {expect} from 'chai'
import {Counter, Gauge, Histogram, Registry} from 'prom-client'
import {parseExposition} from '../../../src/runtime/top/prometheus-text.js'

describe('parseExposition (Prometheus text format, for etl top)', () => {
  it("reads back what prom-client writes: labels, escapes, histograms, the registry's default labels", async () => {
    const registry = new Registry()
    registry.setDefaultLabels({pipeline: 'btc'})
    const registers = [registry]
    new Counter({name: 'etl_records_total', help: 'h', labelNames: ['stage', 'plugin'], registers}).inc(
      {stage: 'sink', plugin: 'say "hi"\\ \n'},
      12,
    )
    new Gauge({name: 'etl_kafka_up', help: 'h', registers}).set(1)
    new Histogram({name: 'etl_d_seconds', help: 'h', buckets: [0.5], registers}).observe(0.25)
    const samples = parseExposition(await registry.metrics())
    expect(samples).to.deep.include({
      name: 'etl_records_total',
      labels: {stage: 'sink', plugin: 'say "hi"\\ \n', pipeline: 'btc'},
      value: 12,
    })
    expect(samples).to.deep.include({name: 'etl_kafka_up', labels: {pipeline: 'btc'}, value: 1})
    expect(samples).to.deep.include({name: 'etl_d_seconds_bucket', labels: {le: '+Inf', pipeline: 'btc'}, value: 1})
    expect(samples).to.deep.include({name: 'etl_d_seconds_sum', labels: {pipeline: 'btc'}, value: 0.25})
  })

  it('skips comments and lines that are not samples; reads Inf, NaN and timestamps', () => {
    const text = [
      '# HELP x y',
      '# TYPE x gauge',
      'x 1',
      'y{a="1"} +Inf 1700000000000',
      'z NaN',
      'broken{a=1} 2',
      '',
    ].join('\n')
    const samples = parseExposition(text)
    expect(samples.map((s) => [s.name, s.value])).to.deep.equal([
      ['x', 1],
      ['y', Infinity],
      ['z', NaN],
    ])
  })
})
