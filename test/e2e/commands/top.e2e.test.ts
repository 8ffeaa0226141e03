/**
 * End to end, on real terminals: `etl run --metrics` of a paced replay runs in one tmux session (a TTY, so it keeps
 * its status line at the bottom) and `etl top` in another. Two screens of `etl top` a few seconds apart show the
 * totals growing at a non-zero rate and the latest record per key from the tap; `q` quits with exit 0 and gives the
 * terminal back. Off a terminal, `etl top --once` prints one plain screen without escape codes.
 */
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'
import {createCliWorkspace, type CliWorkspace} from '../../support/cli-workspace.js'
import {freePorts} from '../../support/global-broker.js'
import {testBrokers, uniqueName} from '../../support/kafka-test-utils.js'
import {buildCli, ETL_BIN, REPO, runEtl} from '../../support/run-cli.js'
import {TmuxScreen} from '../../support/tmux.js'

const HISTORY = join(REPO, 'data', 'btcusd-5m-2011.csv')
const ROWS = 6000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T>(what: string, timeoutMs: number, attempt: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const result = attempt()
    if (result !== undefined) return result
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}

/** The TOTAL of a row of the RECORDS table, e.g. `sink csv written`. */
function totalOf(screen: string[], stage: string, plugin: string, outcome: string): number | undefined {
  const row = screen.find((line) => new RegExp(`^${stage}\\s+${plugin}\\s+${outcome}\\s`).test(line))
  if (!row) return undefined
  const [rate, total] = row.trim().split(/\s+/).slice(-2)
  return rate === '…' ? undefined : Number(total.replaceAll(',', ''))
}

describe('etl top (end to end, under tmux)', function () {
  this.timeout(120_000)
  let workspace: CliWorkspace
  let screen: TmuxScreen | undefined

  before(function () {
    TmuxScreen.ensure()
    buildCli()
  })
  afterEach(async () => {
    screen?.kill()
    await rm(workspace.cwd, {recursive: true, force: true})
  })

  it('redraws changing rates in place, shows the latest record per key, quits on q with exit 0', async () => {
    workspace = await createCliWorkspace('top', HISTORY, ROWS)
    const {cwd, env, topic, group} = workspace
    const [metricsPort] = await freePorts(1)
    writeFileSync(
      join(cwd, 'top.yaml'),
      [
        'name: top-e2e',
        'kafka:',
        `  brokers: ${testBrokers().join(',')}`,
        `  topic: ${topic}`,
        `  groupId: ${group}`,
        '  partitions: 2',
        'metrics:',
        '  enabled: true',
        `  port: ${metricsPort}`,
        'source:',
        '  type: replay',
        '  path: rows.csv',
        // 5-minute candles at 60000× real time: 200 records a second, for half a minute.
        '  speed: 60000',
        'sinks:',
        '  - type: csv',
        '    path: out.csv',
        '    columns: [timestamp, price_usd]',
      ].join('\n'),
    )
    const node = process.execPath
    screen = TmuxScreen.start(uniqueName('etl-top'), 'run', `${node} ${ETL_BIN} run top.yaml --no-local-broker`, {
      cwd,
      env,
    })
    const base = `http://127.0.0.1:${metricsPort}`
    await until('the pipeline to write records', 60_000, () => {
      const rows = screen!.capture('run')
      return rows.some((row) => /written [1-9]/.test(row)) ? rows : undefined
    })
    // The run's own terminal: log lines above, one status line at the bottom, kept up to date.
    const runScreen = screen.capture('run').filter(Boolean)
    expect(runScreen.at(-1)).to.match(
      /^top-e2e │ [\d,.]+ rec\/s │ written [\d,]+ \([\d,.]+\/s\) │ lag [\d,?]+ │ DLQ 0 │/,
    )
    expect(runScreen.filter((row) => row.includes('rec/s'))).to.have.length(1)
    expect(runScreen.some((row) => row.includes(`metrics at ${base}/metrics`))).to.equal(true)

    screen.open('top', `sh -c '${node} ${ETL_BIN} top top.yaml; echo $? > top-exit; sleep 60'`, {cwd, env})
    const first = await until('a screen of etl top with a written rate', 30_000, () => {
      const rows = screen!.capture('top')
      return totalOf(rows, 'sink', 'csv', 'written') && rows.some((r) => /^ {2}BTC\s/.test(r)) ? rows : undefined
    })
    await sleep(2500)
    const second = screen.capture('top').filter(Boolean)
    if (process.env.ETL_TEST_SHOW_SCREENS) console.log([...runScreen, '', ...second].join('\n'))
    expect(first[0]).to.match(new RegExp(`^etl top — top-e2e — ${base} — \\d\\d:\\d\\d:\\d\\d UTC$`))
    expect(first.filter((row) => row.startsWith('etl top —'))).to.have.length(1)
    expect(second.at(-1)).to.equal('q quits')
    const written = [first, second].map((rows) => totalOf(rows, 'sink', 'csv', 'written')!)
    expect(written[1]).to.be.greaterThan(written[0])
    const rateRow = second.find((row) => /^sink\s+csv\s+written\s/.test(row))!
    expect(Number(rateRow.trim().split(/\s+/).at(-2)!.replaceAll(',', ''))).to.be.greaterThan(0)
    expect(second.some((row) => /^process\s+-\s+consumed\s/.test(row))).to.equal(true)
    expect(second.some((row) => /^ready │ kafka up │ dead letters 0$/.test(row))).to.equal(true)
    expect(second.some((row) => /^lag [\d,]+ records on /.test(row))).to.equal(true)
    const btc = second.find((row) => /^ {2}BTC\s/.test(row))!
    expect(btc).to.match(/price_usd=\d/)

    screen.sendKeys('top', 'q')
    await until('etl top to exit', 10_000, () => (existsSync(join(cwd, 'top-exit')) ? true : undefined))
    expect(readFileSync(join(cwd, 'top-exit'), 'utf8').trim()).to.equal('0')
    // The alternate screen is gone: the shell's screen (empty here) is back, no frame of etl top left on it.
    expect(screen.capture('top').some((row) => row.startsWith('etl top —'))).to.equal(false)

    // Off a terminal: one plain screen, no escape codes.
    const once = await runEtl(['top', '--url', `${base}/metrics`, '--once'], {cwd, env})
    expect(once.code, once.stderr).to.equal(0)
    expect(once.stdout).to.match(/^etl top — top-e2e — /)
    expect(once.stdout).to.match(/\nsink {6}csv {11}written/)
    expect(once.stdout).not.to.include('\u001b')
  })

  it('says which endpoint did not answer', async () => {
    workspace = await createCliWorkspace('top-none', HISTORY, 1)
    const [port] = await freePorts(1)
    const result = await runEtl(['top', '--url', `http://127.0.0.1:${port}`, '--once'], workspace)
    expect(result.code).to.equal(1)
    expect(result.stderr).to.match(/^ETL_METRICS_UNREACHABLE/)
    expect(result.stderr).to.include(`no answer from http://127.0.0.1:${port}`)
  })
})
