/** TransactionalProducer for any client: what sendAtomically promises, over one library's transactions. */
import type {AlongBatches, ProducedOffsets, TopicBatch, TransactionalProducer} from '../message-bus.js'
import {mergeOffsets} from './produced-offsets.js'

/** One open transaction of a client library. */
export interface OpenTransaction {
  /**
   * Writes the batches' records, and in the same request those `along` returns once it heard how many records go to
   * each partition; resolves with the offset right after each partition's last record.
   */
  send(batches: TopicBatch[], along?: AlongBatches): Promise<Map<string, ProducedOffsets>>
  abort(): Promise<void>
  commit(): Promise<void>
}

/** What an adapter supplies: its library's producer, connected and already fencing older ones. */
export interface TransactionalClient {
  begin(): Promise<OpenTransaction>
  /** What sendAtomically rejects with: ETL_SOURCE_FENCED when a newer producer took the id over, else ETL_KAFKA. */
  fail(what: string, error: unknown): Error
  disconnect(): Promise<void>
}

export type ThenBatches = (offsets: Map<string, ProducedOffsets>) => TopicBatch[]

/**
 * After any failure this producer is done, as the contract says: a library would ask for a new producer id on the next
 * transaction, which would fence the producer that fenced this one. Later calls reject with the first failure.
 */
export class AtomicProducer implements TransactionalProducer {
  private broken: Error | undefined

  constructor(private readonly client: TransactionalClient) {}

  async sendAtomically(
    batches: TopicBatch[],
    then?: ThenBatches,
    along?: AlongBatches,
  ): Promise<Map<string, ProducedOffsets>> {
    if (this.broken) throw this.broken
    try {
      return await this.transact(batches, then, along)
    } catch (error) {
      this.broken = error as Error
      throw error
    }
  }

  disconnect(): Promise<void> {
    return this.client.disconnect()
  }

  private async transact(
    batches: TopicBatch[],
    then?: ThenBatches,
    along?: AlongBatches,
  ): Promise<Map<string, ProducedOffsets>> {
    const transaction = await this.client.begin().catch((error: unknown) => {
      throw this.client.fail('beginning a transaction', error)
    })
    const offsets = new Map<string, ProducedOffsets>()
    try {
      mergeOffsets(offsets, await transaction.send(batches, along))
      const more = then?.(offsets) ?? []
      if (more.some((batch) => batch.messages.length > 0)) mergeOffsets(offsets, await transaction.send(more))
    } catch (error) {
      await transaction.abort().catch(() => undefined)
      throw this.client.fail(`producing in a transaction to ${batches.map((b) => b.topic).join(', ')}`, error)
    }
    try {
      await transaction.commit()
    } catch (error) {
      // The commit may have reached the coordinator before the connection failed: the caller finds out which.
      throw Object.assign(this.client.fail('committing a transaction', error), {sentOffsets: offsets})
    }
    return offsets
  }
}
