/** callPlugin: how a plugin's failure reaches the user (ETL_PLUGIN_FAILED naming plugin, kind, stage and call). */
import {expect} from 'chai'
import {EtlError} from '../../../src/runtime/errors.js'
import {callPlugin} from '../../../src/runtime/stages/call-plugin.js'

const sink = {definition: {name: 'csv', kind: 'sink'}}

async function failureOf(promise: Promise<unknown>): Promise<EtlError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(EtlError)
    return error as EtlError
  }
  throw new Error('expected a rejection')
}

describe('callPlugin', () => {
  it('resolves what the call resolves, sync or async', async () => {
    expect(await callPlugin(sink, 'process', 'write', () => 7)).to.equal(7)
    expect(await callPlugin(sink, 'process', 'write', async () => 'x')).to.equal('x')
  })

  it('wraps a rejection as ETL_PLUGIN_FAILED naming the plugin, its kind, the call and the stage', async () => {
    const cause = new Error('disk full')
    const error = await failureOf(callPlugin(sink, 'process', 'flush', () => Promise.reject(cause)))
    expect(error.code).to.equal('ETL_PLUGIN_FAILED')
    expect(error.message).to.equal('sink plugin "csv" failed in flush (stage process): disk full')
    expect(error.cause).to.equal(cause)
    expect(error.details).to.deep.equal({plugin: 'csv', kind: 'sink', stage: 'process', action: 'flush'})
  })

  it('wraps a synchronous throw the same way', async () => {
    const source = {definition: {name: 'replay', kind: 'source'}}
    const error = await failureOf(
      callPlugin(source, 'source', 'create', () => {
        throw new Error('no such file')
      }),
    )
    expect(error.message).to.equal('source plugin "replay" failed in create (stage source): no such file')
  })

  it("keeps an EtlError's code in the message", async () => {
    const inner = new EtlError('ETL_SINK_PERMANENT', 'bad credentials')
    const error = await failureOf(callPlugin(sink, 'process', 'write', () => Promise.reject(inner)))
    expect(error.code).to.equal('ETL_PLUGIN_FAILED')
    expect(error.message).to.equal(
      'sink plugin "csv" failed in write (stage process): ETL_SINK_PERMANENT: bad credentials',
    )
    expect(error.cause).to.equal(inner)
  })

  it('passes an ETL_PLUGIN_FAILED through unchanged (a nested call already named the plugin)', async () => {
    const inner = await failureOf(callPlugin(sink, 'process', 'write', () => Promise.reject(new Error('locked'))))
    const outer = await failureOf(
      callPlugin({definition: {name: 'other', kind: 'transform'}}, 'chart', 'create', () => Promise.reject(inner)),
    )
    expect(outer).to.equal(inner)
  })
})
