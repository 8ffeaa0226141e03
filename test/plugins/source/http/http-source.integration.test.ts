/**
 * The real http source against a local node:http API that speaks conditional GET: ETag + If-None-Match and
 * Last-Modified + If-Modified-Since, a 5xx now and then. Checks what reaches the topic (records and checkpoints),
 * what the server was asked, and that a restart from the checkpoint re-emits nothing.
 */
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {expect} from 'chai'
import http from '../../../../src/plugins/source/http/index.js'
import {checkConfig, collectSource} from '../../../../src/testing/index.js'

interface FakeApi {
  url: string
  /** The answer's items; change them to make a new version (a new ETag). */
  items: {id: string; price: number; at: number}[]
  seen: IncomingHttpHeaders[]
  /** Statuses to answer before the real answers, one per request. */
  faults: number[]
  close(): Promise<void>
}

async function startApi(validator: 'etag' | 'last-modified' | 'none' = 'etag'): Promise<FakeApi> {
  const api = {items: [] as FakeApi['items'], seen: [] as IncomingHttpHeaders[], faults: [] as number[]}
  const server: Server = createServer((req, res) => {
    api.seen.push(req.headers)
    const fault = api.faults.shift()
    if (fault) return void res.writeHead(fault, {'content-type': 'application/json'}).end('{"error":"busy"}')
    const body = JSON.stringify({data: {items: api.items}})
    const version = `"${Buffer.from(body).toString('base64url').slice(-16)}"`
    const modified = new Date(Date.UTC(2025, 0, 1) + Math.max(0, ...api.items.map((i) => i.at)) * 1000).toUTCString()
    if (validator === 'etag' && req.headers['if-none-match'] === version) return void res.writeHead(304).end()
    if (validator === 'last-modified' && req.headers['if-modified-since'] === modified)
      return void res.writeHead(304).end()
    const headers: Record<string, string> = {'content-type': 'application/json'}
    if (validator === 'etag') headers.etag = version
    if (validator === 'last-modified') headers['last-modified'] = modified
    res.writeHead(200, headers).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/prices`
  const close = () => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return Object.assign(api, {url, close})
}

const mapping = {
  records: 'data.items',
  fields: {symbol: 'upper(id)', price_usd: 'price', timestamp: 'at'},
  timestampUnit: 's',
  interval: '50ms',
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `change` once the API has answered `requests` requests (while the source keeps polling). */
async function after(api: FakeApi, requests: number, change: () => void): Promise<void> {
  while (api.seen.length < requests) await pause(5)
  change()
}

describe('http source against a conditional-GET API', function () {
  this.timeout(30_000)
  let api: FakeApi
  afterEach(() => api?.close())

  it('emits the items, then nothing while the ETag holds, then only the changed item of its key', async () => {
    api = await startApi('etag')
    api.items = [
      {id: 'btc', price: 100, at: 1_700_000_000},
      {id: 'eth', price: 10, at: 1_700_000_000},
    ]
    const config = {url: api.url, key: 'symbol', headers: {authorization: 'Bearer s3cret-token'}, ...mapping}
    const changing = after(api, 4, () => {
      // eth moves; btc only gets a new time: not a change of its fields
      api.items = [
        {id: 'btc', price: 100, at: 1_700_000_060},
        {id: 'eth', price: 11, at: 1_700_000_060},
      ]
    })
    const run = await collectSource(http, config, {records: 3})
    await changing
    expect(run.records).to.deep.equal([
      {symbol: 'BTC', price_usd: 100, timestamp: '2023-11-14T22:13:20.000Z'},
      {symbol: 'ETH', price_usd: 10, timestamp: '2023-11-14T22:13:20.000Z'},
      {symbol: 'ETH', price_usd: 11, timestamp: '2023-11-14T22:14:20.000Z'},
    ])
    expect(run.emits).to.have.length(2)
    expect(api.seen[0]['if-none-match']).to.equal(undefined)
    expect(api.seen[1]['if-none-match']).to.be.a('string')
    expect(api.seen[0].authorization).to.equal('Bearer s3cret-token')
    expect(run.secrets).to.include('Bearer s3cret-token')
    expect(run.counts.get('not_modified')).to.be.at.least(2)
    expect(run.counts.get('unchanged_skipped')).to.equal(1)
    expect(run.checkpoint).to.include({v: 1}).and.to.have.property('etag').that.is.a('string')
  })

  it('resumes from its checkpoint: the saved ETag goes first, unchanged keys are not emitted again', async () => {
    api = await startApi('etag')
    api.items = [{id: 'btc', price: 100, at: 1_700_000_000}]
    const config = {url: api.url, key: 'symbol', ...mapping}
    const first = await collectSource(http, config, {records: 1})
    const savedEtag = (first.checkpoint as {etag: string}).etag
    const restartAt = api.seen.length
    // Nothing changed across the restart: no record at all. Then btc moves and a second item appears.
    const changing = after(api, restartAt + 3, () => {
      api.items = [
        {id: 'btc', price: 101, at: 1_700_000_120},
        {id: 'sol', price: 5, at: 1_700_000_120},
      ]
    })
    const second = await collectSource(http, config, {restore: first.checkpoint, records: 2})
    await changing
    expect(api.seen[restartAt]['if-none-match']).to.equal(savedEtag)
    expect(second.records.map((r) => [r.symbol, r.price_usd])).to.deep.equal([
      ['BTC', 101],
      ['SOL', 5],
    ])
  })

  it('without ETag support, dedupes by key alone after the restart', async () => {
    api = await startApi('none')
    api.items = [{id: 'btc', price: 100, at: 1_700_000_000}]
    const config = {url: api.url, key: 'symbol', ...mapping}
    const first = await collectSource(http, config, {records: 1})
    const restartAt = api.seen.length
    const changing = after(api, restartAt + 3, () => (api.items = [{id: 'btc', price: 99, at: 1_700_000_300}]))
    const second = await collectSource(http, config, {restore: first.checkpoint, records: 1})
    await changing
    expect(second.records.map((r) => r.price_usd)).to.deep.equal([99])
    expect(second.counts.get('unchanged_skipped')).to.be.at.least(2)
  })

  it('polls with If-Modified-Since when the API sends Last-Modified', async () => {
    api = await startApi('last-modified')
    api.items = [{id: 'btc', price: 100, at: 1_700_000_000}]
    const run = await collectSource(http, {url: api.url, ...mapping}, {records: 2, timeoutMs: 1500})
    expect(run.records).to.have.length(1) // no key: a changed answer would be emitted in full, this one never changed
    expect(api.seen[1]['if-modified-since']).to.equal(new Date(Date.UTC(2025, 0, 1) + 1_700_000_000_000).toUTCString())
    expect(run.counts.get('not_modified')).to.be.at.least(1)
  })

  it('retries a 5xx and a 429 with the stage retry policy, then emits', async () => {
    api = await startApi('etag')
    api.faults = [503, 429]
    api.items = [{id: 'btc', price: 100, at: 1_700_000_000}]
    const run = await collectSource(http, {url: api.url, ...mapping}, {records: 1})
    expect(run.records).to.have.length(1)
    expect(run.counts.get('http_5xx')).to.equal(1)
    expect(run.counts.get('http_429')).to.equal(1)
    expect(api.seen).to.have.length.at.least(3)
  })

  it('ignores a checkpoint written for another url or mapping, with a warning', async () => {
    api = await startApi('etag')
    api.items = [{id: 'btc', price: 100, at: 1_700_000_000}]
    const other = {v: 1, config: 'something-else', etag: '"x"', last: {BTC: 'x'}}
    const run = await collectSource(http, {url: api.url, key: 'symbol', ...mapping}, {restore: other, records: 1})
    expect(run.records).to.have.length(1)
    expect(api.seen[0]['if-none-match']).to.equal(undefined)
    expect(run.logs.join('\n')).to.match(/ignoring the saved checkpoint: it was written for another url/)
  })

  it('counts an answer with nothing at the records path and keeps polling', async () => {
    api = await startApi('none')
    const run = await collectSource(http, {url: api.url, ...mapping, records: 'nothing.here'}, {timeoutMs: 500})
    expect(run.records).to.deep.equal([])
    expect(run.counts.get('no_records_at_path')).to.be.at.least(2)
  })
})

describe('http source config', () => {
  it('reports bad expressions, a bad records path and a bad key at their keys', async () => {
    const issues = await checkConfig(http, {
      url: 'http://x/y',
      records: 'a..b',
      fields: {price: 'number(p'},
      key: 'symbol ==',
    })
    expect(issues.map((issue) => issue.path.join('.'))).to.deep.equal(['records', 'fields.price', 'key'])
  })

  it('needs url and fields, and an http(s) url', async () => {
    const missing = await checkConfig(http, {})
    expect(missing.map((issue) => issue.message).join(' '))
      .to.match(/url/)
      .and.to.match(/fields/)
    const ftp = await checkConfig(http, {url: 'ftp://x', fields: {a: 'a'}})
    expect(ftp.map((issue) => issue.path.join('.'))).to.deep.equal(['url'])
  })
})
