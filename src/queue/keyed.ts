/**
 * The embedded in-process queue: bounded, FIFO per key, concurrent across keys.
 * Items sharing a key (the target they act on, e.g. one pod) run one at a time in
 * arrival order; different keys run concurrently up to `concurrency`, so one slow
 * capture never blocks unrelated events.
 */
export interface KeyedQueueOptions<T> {
  capacity: number;
  concurrency: number;
  handler: (item: T) => Promise<void>;
  onError: (err: unknown, item: T) => void;
}

export class KeyedQueue<T> {
  private readonly lanes = new Map<string, T[]>();
  /** Keys with waiting items and nothing running, in the order they became ready. */
  private readonly ready: string[] = [];
  private readonly running = new Set<string>();
  private pending = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: KeyedQueueOptions<T>) {}

  /** Items accepted and not finished (waiting + running). */
  get size(): number {
    return this.pending;
  }

  /** Returns false (and keeps nothing) when the queue is full. */
  push(key: string, item: T): boolean {
    if (this.pending >= this.opts.capacity) return false;
    this.pending++;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = [];
      this.lanes.set(key, lane);
    }
    lane.push(item);
    if (lane.length === 1 && !this.running.has(key)) this.ready.push(key);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.running.size < this.opts.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const lane = this.lanes.get(key)!;
      const item = lane.shift()!;
      this.running.add(key);
      void this.run(key, item);
    }
  }

  private async run(key: string, item: T): Promise<void> {
    try {
      await this.opts.handler(item);
    } catch (err) {
      this.opts.onError(err, item);
    } finally {
      this.running.delete(key);
      this.pending--;
      const lane = this.lanes.get(key);
      if (lane && lane.length > 0) this.ready.push(key);
      else this.lanes.delete(key);
      this.pump();
      if (this.pending === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /** Resolves true when every accepted item has finished, false on timeout. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** FIFO mutex per key (e.g. a node shared by events of different pods). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => {
      release = r;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
