/**
 * A replay source instance: restore() takes a checkpoint back when it is for this very file and these settings, and
 * each run() plays on from there (replay-run.ts).
 */
import type {PluginContext, SourceEmitter, SourceInstance} from '../../../sdk/index.js'
import {readSettings, type ReplayConfig} from './replay-config.js'
import {fileIdentity, START, unusable, type Position, type ReplayCheckpoint} from './replay-checkpoint.js'
import {ReplayRun} from './replay-run.js'
import {RowConverter} from './row-converter.js'

export class ReplaySource implements SourceInstance {
  private resumeFrom: Position = START
  private readonly reads: string
  private readonly rows: RowConverter

  constructor(
    private readonly config: ReplayConfig,
    private readonly context: PluginContext,
    private readonly path: string,
    private identity: ReplayCheckpoint['file'],
  ) {
    this.reads = readSettings(config)
    this.rows = new RowConverter(config, context, path)
  }

  async restore(state: unknown): Promise<void> {
    const {config, path} = this
    const {logger} = this.context
    this.identity = await fileIdentity(path)
    const problem = unusable(state, this.identity, this.reads)
    if (problem) {
      logger.warn(`ignoring the saved replay position: ${problem}; replaying from the start`, {path})
      return
    }
    const {pass, line, produced, shiftMs, first, second, last} = state as ReplayCheckpoint
    this.resumeFrom = {pass, line, produced, shiftMs, first, second, last}
    const done = (config.loop > 0 && pass >= config.loop) || produced >= (config.limit ?? Infinity)
    if (done)
      logger.info(
        'this replay already ran to its end; nothing left to emit (change or touch the file to replay it again)',
        {path},
      )
    else
      logger.info(`resuming the replay after line ${line}${config.loop === 1 ? '' : ` of pass ${pass + 1}`}`, {
        path,
        produced,
      })
  }

  async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([runSignal, this.context.signal])
    const {config, path, identity: file, reads, rows} = this
    const setup = {config, path, file, reads, rows, logger: this.context.logger}
    await new ReplayRun(setup, this.resumeFrom, emit, signal).play()
  }
}
