/**
 * Runs the CoinGecko look-alike on its own, for demos without internet:
 *   node --import tsx test/support/fake-coingecko-cli.ts --port 8089
 *   COINGECKO_BASE_URL=http://127.0.0.1:8089/api/v3 etl run pipelines/btc.yaml
 * Prices advance on every /simple/price answer unless --no-auto, so each poll sees a fresh last_updated_at.
 */
import {parseArgs} from 'node:util'
import {startFakeCoinGecko, type ChartFault, type Fault} from './fake-coingecko.js'

const {values} = parseArgs({
  options: {
    port: {type: 'string', default: '8089'},
    host: {type: 'string', default: '127.0.0.1'},
    'no-auto': {type: 'boolean', default: false},
    'require-key': {type: 'string'},
    plan: {type: 'string', default: 'demo'},
    'step-seconds': {type: 'string', default: '60'},
    // e.g. --fault '{"status":429,"retryAfter":5,"body":"html"}' (repeatable) to demo the retry path
    fault: {type: 'string', multiple: true, default: []},
    // e.g. --chart-fault '{"malformed":"bad-points"}' for the backfill's /coins/{id}/market_chart requests
    'chart-fault': {type: 'string', multiple: true, default: []},
    help: {type: 'boolean', short: 'h', default: false},
  },
})

if (values.help) {
  process.stdout.write(
    'usage: fake-coingecko-cli [--port 8089] [--host 127.0.0.1] [--no-auto] [--require-key KEY] [--plan demo|pro]\n' +
      '                          [--step-seconds 60] [--fault JSON]... [--chart-fault JSON]...\n',
  )
  process.exit(0)
}

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid --port ${values.port}\n`)
  process.exit(2)
}

const fake = await startFakeCoinGecko({
  port,
  host: values.host,
  auto: !values['no-auto'],
  requireKey: values['require-key'] !== undefined,
  apiKey: values['require-key'],
  plan: values.plan === 'pro' ? 'pro' : 'demo',
  stepSeconds: Number(values['step-seconds']),
})
for (const fault of values.fault) fake.enqueue(JSON.parse(fault) as Fault)
for (const fault of values['chart-fault']) fake.enqueueChart(JSON.parse(fault) as ChartFault)
process.stdout.write(`${fake.baseUrl}\n`)
process.stderr.write(`try: curl '${fake.baseUrl}/simple/price?ids=bitcoin&vs_currencies=usd'\n`)

// Log each request as it is handled, so a demo shows the poller's traffic (and its retries) side by side.
let seen = 0
const ticker = setInterval(() => {
  for (const request of fake.requests.slice(seen)) {
    const query = new URLSearchParams(request.query).toString()
    process.stderr.write(`${new Date(request.at).toISOString()} ${request.method} ${request.path}?${query}\n`)
  }
  seen = fake.requests.length
}, 200)

const stop = () => {
  clearInterval(ticker)
  fake.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
