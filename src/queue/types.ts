/**
 * Where accepted events wait before processing. The embedded default is in-process
 * (src/queue/memory.ts); a distributed implementation (NATS JetStream) plugs in here.
 */
import type { FalcoEvent } from "../events/event.js";

export type PushResult = "queued" | "duplicate" | "full";

export interface EventQueue {
  /** Resolves once the event is stored (or refused); only then may intake answer 200. */
  push(event: FalcoEvent): Promise<PushResult>;
  /**
   * Starts delivering events. Events acting on the same target are handled one at a time
   * in arrival order; an event counts as done when the handler's promise settles.
   */
  start(
    handler: (event: FalcoEvent) => Promise<void>,
    onError: (err: unknown, event: FalcoEvent) => void,
  ): void;
  /** Events accepted here and not finished. */
  readonly size: number;
  /** Resolves true when every accepted event has been handled, false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}
