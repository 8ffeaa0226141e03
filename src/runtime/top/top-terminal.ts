/**
 * `etl top` on a terminal: the alternate screen (the shell's screen comes back untouched on exit), the cursor hidden,
 * each screen drawn over the last from the top-left corner (no scrolling, no flicker of a full clear), and keys read
 * raw so `q` quits without Enter. Ctrl-C arrives as a key in raw mode, so it quits the same way.
 */

const ENTER = '\u001b[?1049h\u001b[?25l'
const LEAVE = '\u001b[?25h\u001b[?1049l'
const HOME = '\u001b[H'
const ERASE_LINE_END = '\u001b[K'
const ERASE_BELOW = '\u001b[J'

type Output = Pick<NodeJS.WriteStream, 'write' | 'columns' | 'rows' | 'on' | 'off'>
type Input = Pick<NodeJS.ReadStream, 'on' | 'off' | 'resume' | 'pause'> & {setRawMode?(raw: boolean): unknown}

export class TopTerminal {
  private onKey: ((data: Buffer) => void) | undefined

  constructor(
    private readonly output: Output,
    private readonly input: Input,
  ) {}

  get width(): number {
    return this.output.columns || 80
  }

  get height(): number {
    return this.output.rows || 24
  }

  /** Takes over the screen; `quit` is called on `q` or Ctrl-C, `resized` when the window changes size. */
  enter(quit: () => void, resized: () => void): void {
    this.output.write(ENTER)
    this.input.setRawMode?.(true)
    this.onKey = (data) => {
      const key = data.toString('utf8')
      if (key === 'q' || key === 'Q' || key === '\u0003') quit()
    }
    this.input.on('data', this.onKey)
    this.input.resume()
    this.output.on('resize', resized)
  }

  draw(lines: string[]): void {
    this.output.write(HOME + lines.map((line) => line + ERASE_LINE_END).join('\r\n') + ERASE_BELOW)
  }

  /** Gives the screen back as it was. */
  leave(): void {
    if (this.onKey) this.input.off('data', this.onKey)
    this.input.setRawMode?.(false)
    this.input.pause()
    this.output.write(LEAVE)
  }
}
