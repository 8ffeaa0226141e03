/**
 * A window engine as a transform, with its open windows kept across restarts and rebalances: checkpoint() hands the
 * runtime a snapshot after each batch (the runtime stores it with the batch's commit) and restore() continues from
 * one. flush() emits nothing, because a window cut short by a shutdown is not a result (a half-week candle would look
 * like a real one downstream); the next owner of the partition finishes it.
 */
import type {PluginContext, TransformInstance} from '../../../sdk/index.js'
import {WindowEngine, type WindowEngineOptions} from './window-engine.js'

export function createWindowTransform(
  options: WindowEngineOptions & {passThrough?: boolean},
  context: PluginContext,
): TransformInstance {
  const engine = new WindowEngine(options, context)
  return {
    process: (records) => (options.passThrough ? [...records, ...engine.process(records)] : engine.process(records)),
    checkpoint: () => engine.snapshot(),
    restore(state) {
      try {
        engine.restore(state)
      } catch (error) {
        // Losing partial windows is better than refusing to start; the warning says what was thrown away and why.
        context.logger.warn(`ignoring saved window state: ${(error as Error).message}; starting with no open windows`)
        context.count('snapshot_discarded')
        return
      }
      context.logger.info(`restored ${engine.openWindows} open window(s)`)
    },
    flush() {
      const open = engine.openWindows
      if (open > 0)
        context.logger.info(
          `${open} open window(s) not emitted at shutdown; ` +
            'their state as of the last committed batch is kept for the next run',
        )
      return []
    },
  }
}
