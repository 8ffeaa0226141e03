import {appendFile, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {ChartRunner, type RenderedChart} from '../../../src/runtime/charts/chart-runner.js'
import type {ChartConfig, ChartDataSource} from '../../../src/runtime/config/load-pipeline.js'
import {Counters} from '../../../src/runtime/counters.js'
import {EtlError} from '../../../src/runtime/errors.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {definePlugin, type EtlRecord} from '../../../src/runtime/plugin-types.js'

/** A chart plugin that records what the runner does to it; `failNext` makes the next render throw. */
function recordingChart() {
  const state = {rows: [] as EtlRecord[], renders: [] as number[], resets: 0, closed: false, failNext: false}
  const definition = definePlugin<'chart', Record<string, never>>({
    name: 'recording',
    kind: 'chart',
    summary: 'test double',
    configSchema: {type: 'object', properties: {}},
    create: () => ({
      add: (records) => void state.rows.push(...records),
      reset: () => {
        state.rows = []
        state.resets++
      },
      async render() {
        if (state.failNext) {
          state.failNext = false
          throw new EtlError('ETL_CHART_RENDER', 'disk full')
        }
        state.renders.push(state.rows.length)
        return {svg: '<svg/>', outputs: ['x.png'], points: state.rows.length, renderedPoints: state.rows.length, ms: 1}
      },
      summary: () => [],
      async close() {
        state.closed = true
      },
    }),
  })
  return {definition, state}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('ChartRunner', () => {
  let dir: string
  let logs: string[]
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-chart-runner-'))
    logs = []
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  async function start(data: ChartDataSource, everyMs = 0) {
    const {definition, state} = recordingChart()
    const chart: ChartConfig = {
      kind: 'chart',
      type: 'recording',
      label: 'prices',
      definition,
      config: {},
      path: ['charts', 0],
      data,
      everyMs,
    }
    const counters = new Counters()
    const rendered: RenderedChart[] = []
    const runner = await ChartRunner.start({
      charts: [chart],
      pipelineName: 'test',
      pipelineDir: dir,
      stateRoot: dir,
      logger: createLogger('test', {format: 'text', level: 'debug', write: (line) => logs.push(line)}),
      counters,
      signal: new AbortController().signal,
      onRender: (result) => rendered.push(result),
    })
    return {runner, state, counters, rendered}
  }

  it('renders stream-fed charts only when records arrived', async () => {
    const {runner, state, rendered} = await start({kind: 'stream'})
    await runner.renderNow()
    expect(state.renders).to.deep.equal([])
    runner.feed([{price_usd: 1}, {price_usd: 2}])
    await runner.renderNow()
    await runner.renderNow()
    expect(state.renders).to.deep.equal([2])
    expect(rendered.map((r) => r.chart.label)).to.deep.equal(['prices'])
    await runner.stop()
    expect(state.closed).to.equal(true)
  })

  it('reads a CSV as it grows and renders at most once per `every`', async function () {
    this.timeout(15_000)
    const csv = join(dir, 'prices.csv')
    await writeFile(csv, 'timestamp,price_usd\nt1,1\n')
    const {runner, state} = await start({kind: 'csv', path: csv}, 2500)
    await runner.renderNow()
    expect(state.renders).to.deep.equal([1])
    runner.watch()
    await appendFile(csv, 't2,2\n')
    // The check after ~1 s reads t2 but must not render: the last render was less than `every` (2.5 s) ago.
    await sleep(1500)
    expect(state.rows).to.have.length(2)
    expect(state.renders).to.deep.equal([1])
    const deadline = Date.now() + 5000
    while (state.renders.length < 2 && Date.now() < deadline) await sleep(50)
    expect(state.renders).to.deep.equal([1, 2])
    await appendFile(csv, 't3,3\n')
    await runner.stop()
    expect(state.renders).to.deep.equal([1, 2, 3])
    expect(state.rows.map((row) => row.price_usd)).to.deep.equal(['1', '2', '3'])
  })

  it('resets the chart when its CSV is truncated and rewritten', async () => {
    const csv = join(dir, 'prices.csv')
    await writeFile(csv, 'p\n1\n2\n3\n')
    const {runner, state} = await start({kind: 'csv', path: csv})
    await runner.renderNow()
    await writeFile(csv, 'p\n9\n')
    await runner.renderNow()
    expect(state.resets).to.equal(1)
    expect(state.rows).to.deep.equal([{p: '9'}])
    await runner.stop()
  })

  it('logs a failed render with the chart name, counts it, and renders again next time', async () => {
    const {runner, state, counters} = await start({kind: 'stream'})
    state.failNext = true
    runner.feed([{p: 1}])
    await runner.renderNow()
    expect(state.renders).to.deep.equal([])
    expect(counters.get('chart prices', 'render_failed')).to.equal(1)
    expect(logs.join('\n')).to.match(/ETL_CHART_RENDER chart prices: render failed .*disk full/)
    await runner.renderNow()
    expect(state.renders).to.deep.equal([1])
    expect(counters.get('chart prices', 'rendered')).to.equal(1)
    await runner.stop()
  })
})
