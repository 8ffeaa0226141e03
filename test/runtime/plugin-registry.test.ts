import {expect} from 'chai'
import {EtlError, isEtlError} from '../../src/runtime/errors.js'
import {PluginRegistry} from '../../src/runtime/plugin-registry.js'
import {PLUGIN_API_VERSION} from '../../src/runtime/plugin-types.js'
import type {AnyPluginDefinition} from '../../src/runtime/plugin-types.js'

const plugin = (extra: Partial<AnyPluginDefinition> = {}): AnyPluginDefinition => ({
  name: 'upper',
  kind: 'transform',
  summary: 'Upper-cases',
  configSchema: {type: 'object', properties: {}},
  create: () => ({process: (records) => records}),
  ...extra,
})

describe('plugin registry', () => {
  it('registers a plugin of the current API version, or one that states none (API 1)', () => {
    const registry = new PluginRegistry()
    registry.register(plugin({apiVersion: PLUGIN_API_VERSION}))
    registry.register(plugin({name: 'legacy'}))
    expect(registry.names('transform')).to.deep.equal(['legacy', 'upper'])
  })

  it('refuses a plugin written for an API this etl does not provide, with ETL_PLUGIN_API and what to do', () => {
    const registry = new PluginRegistry()
    let error: unknown
    try {
      registry.register(plugin({apiVersion: 2}), 'plugin module "etl-plugin-upper"')
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(EtlError)
    expect((error as EtlError).code).to.equal('ETL_PLUGIN_API')
    expect((error as EtlError).message).to.equal(
      'plugin module "etl-plugin-upper": transform plugin "upper" targets etl plugin API 2, ' +
        'but this etl provides API 1: ' +
        'install a version of the plugin written for API 1, or an etl that provides API 2',
    )
    expect(() => registry.register(plugin({apiVersion: 1.5}))).to.throw(/apiVersion must be an integer/)
    expect(registry.names('transform')).to.deep.equal([])
  })

  it('rebuilds the built-ins from their module, as a worker thread does', async () => {
    const url = new URL('../../src/plugins/builtin-plugins.ts', import.meta.url).href
    const registry = await PluginRegistry.fromBuiltinsModule(url)
    expect(registry.builtinsModule).to.equal(url)
    expect(registry.names('source')).to.deep.equal(['binance', 'coinbase', 'coingecko', 'http', 'replay', 'websocket'])
  })
})

describe('isEtlError', () => {
  it('recognises an EtlError made by another copy of the SDK by its shape, not its class', () => {
    class OtherCopyEtlError extends Error {
      readonly code = 'ETL_SINK_PERMANENT'
      readonly exitCode = 1
      constructor() {
        super('disk full')
        this.name = 'EtlError'
      }
    }
    expect(isEtlError(new OtherCopyEtlError())).to.equal(true)
    expect(isEtlError(Object.assign(new Error('x'), {name: 'EtlError', code: 'NOT_A_CODE', exitCode: 1}))).to.equal(
      false,
    )
    expect(isEtlError(new Error('plain'))).to.equal(false)
  })
})
