/**
 * The embedded queue: dedup window + bounded in-process per-target FIFO queue.
 */
import type { FalcoEvent } from "../events/event.js";
import { Deduplicator, dedupKey } from "./dedup.js";
import { KeyedQueue } from "./keyed.js";
import { targetKey } from "./target.js";
import type { EventQueue, PushResult } from "./types.js";

export interface MemoryQueueOptions {
  capacity: number;
  concurrency: number;
  dedupWindowMs: number;
}

export class MemoryEventQueue implements EventQueue {
  private readonly dedup: Deduplicator;
  private queue?: KeyedQueue<FalcoEvent>;
  private readonly early: FalcoEvent[] = [];

  constructor(private readonly opts: MemoryQueueOptions) {
    this.dedup = new Deduplicator(opts.dedupWindowMs);
  }

  get size(): number {
    return (this.queue?.size ?? 0) + this.early.length;
  }

  async push(event: FalcoEvent): Promise<PushResult> {
    const key = dedupKey(event);
    if (this.dedup.isDuplicate(key)) return "duplicate";
    if (!this.queue) {
      if (this.early.length >= this.opts.capacity) {
        this.dedup.forget(key);
        return "full";
      }
      this.early.push(event);
      return "queued";
    }
    if (!this.queue.push(targetKey(event), event)) {
      this.dedup.forget(key);
      return "full";
    }
    return "queued";
  }

  start(
    handler: (event: FalcoEvent) => Promise<void>,
    onError: (err: unknown, event: FalcoEvent) => void,
  ): void {
    this.queue = new KeyedQueue<FalcoEvent>({
      capacity: this.opts.capacity,
      concurrency: this.opts.concurrency,
      handler,
      onError,
    });
    for (const e of this.early.splice(0)) this.queue.push(targetKey(e), e);
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.queue ? this.queue.drain(timeoutMs) : Promise.resolve(this.early.length === 0);
  }

  async close(): Promise<void> {}
}
