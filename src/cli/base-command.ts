/**
 * The base class of every `etl` command: a command's failure ends it the same way whichever command it is, so the
 * commands themselves only parse flags, call the API and print. It lives outside src/commands/ because oclif takes
 * every module in that folder for a command.
 */
import {Command, ux} from '@oclif/core'
import {renderError, type RenderedError} from '../runtime/cli-errors.js'
import {isEtlError, type EtlError} from '../runtime/errors.js'
import {redact} from '../runtime/logger.js'

export abstract class EtlCommand extends Command {
  /**
   * An EtlError ends the command with its code and message on stderr (see cli-errors.ts) and its exit code; with
   * --json (commands that enable it) it is printed as JSON on stdout instead, so a script always gets JSON. Anything
   * else thrown is a bug: ETL_INTERNAL, exit 1, no stack trace unless ETL_DEBUG=1. oclif's own errors (a flag it
   * rejects, this.exit()) go to oclif's handler as they are: text on stderr, also with --json (oclif's JSON form of
   * a parse error would dump the whole CLI config).
   */
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (isOclifError(error)) throw error
    if (this.jsonEnabled() && isEtlError(error)) {
      this.logJson(this.errorJson(error))
      await outputWritten()
      this.exit(error.exitCode)
    }
    const {text, exitCode} = this.renderError(error)
    process.stderr.write(text + '\n')
    // oclif's handler ends the process at once after this.exit(): what the command printed must be out by then.
    await outputWritten()
    this.exit(exitCode)
  }

  /** How a failure reads on stderr; a command overrides it for an error of its own that is not an EtlError. */
  protected renderError(error: unknown): RenderedError {
    return renderError(error)
  }

  /** The --json form of an EtlError; a command whose JSON result has a shape of its own overrides it. */
  protected errorJson(error: EtlError): unknown {
    return {error: {code: error.code, message: error.message, exitCode: error.exitCode}}
  }

  /** oclif's JSON output with every secret the run knows of masked, as in all other output. */
  public override logJson(json: unknown): void {
    const text = redact(JSON.stringify(json, null, 2))
    ux.stdout(ux.colorizeJson(text, {pretty: false, theme: this.config.theme?.json}))
  }
}

/** oclif's errors (parse errors, this.exit(), this.error()) carry their exit code in `oclif`. */
function isOclifError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'oclif' in error
}

/** Resolves once `text` is handed to the OS: what a command prints must be complete before the process exits. */
export function written(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()))
}

/** Resolves once everything written so far to stdout and stderr is handed to the OS. */
export async function outputWritten(): Promise<void> {
  await Promise.all([written(process.stdout, ''), written(process.stderr, '')])
}
