/**
 * When the process stage may stop after a finite source finished: once every partition's committed offset reached
 * the drain target (the offset after the source's last record there; a partition it never wrote to counts as done).
 */
export class DrainProgress {
  /** Per partition, the offset committed (or about to be: the bus commits right after the batch handler returns). */
  private readonly committed = new Map<number, bigint>()
  private target: Map<number, bigint> | undefined

  /** A batch of `partition` up to `next` was handled. */
  handled(partition: number, next: bigint): void {
    this.committed.set(partition, next)
  }

  /** Sets the target; `already`: the group's committed offsets, for partitions no batch was handled of yet. */
  aimAt(target: Map<number, bigint>, already: Map<number, bigint>): void {
    for (const [partition, offset] of already) if (!this.committed.has(partition)) this.committed.set(partition, offset)
    this.target = target
  }

  /** True once a target is set and every partition of it is reached. */
  caughtUp(): boolean {
    return (
      this.target !== undefined &&
      [...this.target].every(([partition, end]) => end === 0n || (this.committed.get(partition) ?? -1n) >= end)
    )
  }
}
