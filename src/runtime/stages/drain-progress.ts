/**
 * When the process stage may stop: once every partition's committed offset reached the drain target (after a finite
 * source finished: the offset after the source's last record there; a partition it never wrote to counts as done).
 * An `--until-caught-up` run aims at the topic's end offsets and counts only the partitions this member owns: the
 * others are another member's to catch up, and move here (caught up, as the polled commits show) when it leaves.
 */
export class DrainProgress {
  /** Per partition, the offset committed (or about to be: the bus commits right after the batch handler returns). */
  private readonly committed = new Map<number, bigint>()
  private target: Map<number, bigint> | undefined
  /** The partitions this member owns, as of its last assignment (undefined before the first one). */
  private owned: Set<number> | undefined
  private ownedOnly = false

  /** A batch of `partition` up to `next` was handled. */
  handled(partition: number, next: bigint): void {
    this.committed.set(partition, next)
  }

  /** This member's partitions after a rebalance. */
  assigned(partitions: number[]): void {
    this.owned = new Set(partitions)
  }

  /**
   * The group's committed offsets as read from Kafka: they include commits past transaction markers (which no batch
   * reports) and commits of other members. Never moves a partition backwards.
   */
  learn(committed: Map<number, bigint>): void {
    for (const [partition, offset] of committed)
      if (offset > (this.committed.get(partition) ?? -1n)) this.committed.set(partition, offset)
  }

  /**
   * Sets the target; `already`: the group's committed offsets, for partitions no batch was handled of yet. With
   * `ownedOnly`, only the partitions this member owns must reach it (none are owned before the first assignment).
   */
  aimAt(target: Map<number, bigint>, already: Map<number, bigint>, {ownedOnly = false} = {}): void {
    for (const [partition, offset] of already) if (!this.committed.has(partition)) this.committed.set(partition, offset)
    this.target = target
    this.ownedOnly = ownedOnly
  }

  /** True once a target is set and every partition of it that counts is reached. */
  caughtUp(): boolean {
    const behind = this.behind()
    return behind !== undefined && behind.length === 0
  }

  /** The partitions of the target that count and are not reached yet (undefined while that cannot be known). */
  private behind(): number[] | undefined {
    const {target, owned} = this
    if (target === undefined) return undefined
    const reached = ([partition, end]: [number, bigint]) => end === 0n || (this.committed.get(partition) ?? -1n) >= end
    const pending = [...target].filter((entry) => !reached(entry)).map(([partition]) => partition)
    if (!this.ownedOnly) return pending
    if (pending.length === 0) return pending
    return owned === undefined ? undefined : pending.filter((partition) => owned.has(partition))
  }
}
