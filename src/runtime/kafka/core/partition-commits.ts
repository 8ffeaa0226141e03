/**
 * Offset commits per partition, one at a time and only forwards: a commit past transaction markers, made from a
 * library event, must not undo a later batch's commit that overtook it.
 */
export class PartitionCommits {
  private readonly queues = new Map<number, Promise<unknown>>()
  private readonly done = new Map<number, bigint>()

  /** `send` commits `next` (the offset after the last handled record) for one partition of the consumed topic. */
  constructor(private readonly send: (partition: number, next: bigint) => Promise<void>) {}

  /** Resolves once `next` is committed, at once when as much or more was committed already; rejects if it fails. */
  commit(partition: number, next: bigint): Promise<void> {
    const run = async () => {
      if ((this.done.get(partition) ?? -1n) >= next) return
      await this.send(partition, next)
      this.done.set(partition, next)
    }
    const queued = (this.queues.get(partition) ?? Promise.resolve()).then(run, run)
    this.queues.set(
      partition,
      queued.catch(() => undefined),
    )
    return queued
  }

  /** After a rebalance the partition may have moved and back: what this member committed before says nothing. */
  forget(): void {
    this.done.clear()
  }
}
