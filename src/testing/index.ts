/**
 * `etl/testing` — run any plugin without Kafka from mocha (or any test runner): plain functions and small classes
 * whose results are plain data, made for chai's expect. See docs/TESTING.md for examples.
 *
 *   import {runTransform, EventTimeline} from 'etl/testing'
 *   const time = new EventTimeline('2026-01-01T00:00:00Z')
 *   const out = await runTransform(myPlugin, {field: 'symbol'}, [time.record({symbol: 'btc'})])
 *   expect(out.records[0].symbol).to.equal('BTC')
 */
export {checkConfig, pluginConfig, type CheckConfigOptions} from './plugin-config.js'
export {testContext, TEST_RETRY, type Rejected, type TestContext, type TestContextOptions} from './test-context.js'
export {TestClock, type TestClockOptions} from './test-clock.js'
export {at, EventTimeline} from './event-time.js'
export {
  runTransform,
  TransformHarness,
  type RunTransformOptions,
  type TransformHarnessOptions,
  type TransformRun,
} from './transform-harness.js'
export {origin, SinkHarness, type SinkHarnessOptions} from './sink-harness.js'
export {ChartHarness} from './chart-harness.js'
export {PluginHarness} from './plugin-harness.js'
export {collectSource, type CollectSourceOptions, type Emitted, type SourceRun} from './source-collector.js'
