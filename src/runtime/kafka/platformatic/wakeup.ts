/** A wake-up call that is not lost when it comes before anyone waits for it (the stream's 'readable' can). */
export class Wakeup {
  private pending = false
  private resolve: (() => void) | undefined

  wake(): void {
    this.pending = true
    this.resolve?.()
  }

  /** Resolves at the next wake() (or at once if one came since the last wait), or after timeoutMs. */
  async wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false
      return
    }
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      this.resolve = resolve
      timer = setTimeout(resolve, timeoutMs)
    })
    clearTimeout(timer)
    this.resolve = undefined
    this.pending = false
  }
}
