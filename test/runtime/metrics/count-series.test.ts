import {expect} from 'chai'
import {countSeries, scopeLabels} from '../../../src/runtime/metrics/count-series.js'

describe('count series (the summary rows as Prometheus series)', () => {
  it('splits a scope into stage and plugin; the process stage has no plugin', () => {
    expect(scopeLabels('sink csv')).to.deep.equal({stage: 'sink', plugin: 'csv'})
    expect(scopeLabels('transform weekly candles')).to.deep.equal({stage: 'transform', plugin: 'weekly candles'})
    expect(scopeLabels('process')).to.deep.equal({stage: 'process', plugin: ''})
  })

  it('puts records under etl_records_total with the event as outcome', () => {
    expect(countSeries('source replay', 'produced')).to.deep.equal({
      name: 'etl_records_total',
      type: 'counter',
      labels: {stage: 'source', plugin: 'replay', outcome: 'produced'},
    })
    expect(countSeries('process', 'dead_lettered').name).to.equal('etl_records_total')
  })

  it('gives retries and chart renders metrics of their own, and makes the buffer peak a gauge', () => {
    expect(countSeries('sink pg', 'sink_retry').name).to.equal('etl_retries_total')
    expect(countSeries('source coingecko', 'retry').name).to.equal('etl_retries_total')
    expect(countSeries('chart price', 'rendered').name).to.equal('etl_chart_renders_total')
    expect(countSeries('chart price', 'render_failed').name).to.equal('etl_chart_renders_total')
    expect(countSeries('chart price', 'csv_lines_unreadable').name).to.equal('etl_records_total')
    expect(countSeries('source replay', 'buffer_peak')).to.include({
      name: 'etl_source_buffer_peak_records',
      type: 'gauge',
    })
  })
})
