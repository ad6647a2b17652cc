/**
 * The embedded queue: dedup window + bounded in-process per-target FIFO queue.
 */

import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { FalcoEvent } from "../events/event.js";
import { Deduplicator, dedupKey } from "./dedup.js";
import { KeyedQueue } from "./keyed.js";
import { targetKey } from "./target.js";
import type { EventQueue, PushResult } from "./types.js";

interface Queued {
  event: FalcoEvent;
  trace: Context;
}

export interface MemoryQueueOptions {
  capacity: number;
  concurrency: number;
  dedupWindowMs: number;
}

export class MemoryEventQueue implements EventQueue {
  private readonly dedup: Deduplicator;
  private queue?: KeyedQueue<Queued>;
  private readonly early: Queued[] = [];

  constructor(private readonly opts: MemoryQueueOptions) {
    this.dedup = new Deduplicator(opts.dedupWindowMs);
  }

  get size(): number {
    return (this.queue?.size ?? 0) + this.early.length;
  }

  async push(event: FalcoEvent, trace: Context = ROOT_CONTEXT): Promise<PushResult> {
    const key = dedupKey(event);
    const item = { event, trace };
    if (this.dedup.isDuplicate(key)) return "duplicate";
    if (!this.queue) {
      if (this.early.length >= this.opts.capacity) {
        this.dedup.forget(key);
        return "full";
      }
      this.early.push(item);
      return "queued";
    }
    if (!this.queue.push(targetKey(event), item)) {
      this.dedup.forget(key);
      return "full";
    }
    return "queued";
  }

  start(
    handler: (event: FalcoEvent, trace: Context) => Promise<void>,
    onError: (err: unknown, event: FalcoEvent) => void,
  ): void {
    this.queue = new KeyedQueue<Queued>({
      capacity: this.opts.capacity,
      concurrency: this.opts.concurrency,
      handler: (item) => handler(item.event, item.trace),
      onError: (err, item) => onError(err, item.event),
    });
    for (const e of this.early.splice(0)) this.queue.push(targetKey(e.event), e);
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.queue ? this.queue.drain(timeoutMs) : Promise.resolve(this.early.length === 0);
  }

  async close(): Promise<void> {}
}
