/**
 * Where accepted events wait before processing. The embedded default is in-process
 * (src/queue/memory.ts); a distributed implementation (NATS JetStream) plugs in here.
 */

import type { Context } from "@opentelemetry/api";
import type { FalcoEvent } from "../events/event.js";

export type PushResult = "queued" | "duplicate" | "full";

export interface EventQueue {
  /**
   * Resolves once the event is stored (or refused); only then may intake answer 200.
   * `trace` (the event span's context) is handed to the handler with the event; a queue that
   * crosses processes carries it as propagation headers.
   */
  push(event: FalcoEvent, trace?: Context): Promise<PushResult>;
  /**
   * Starts delivering events. Events acting on the same target are handled one at a time
   * in arrival order; an event counts as done when the handler's promise settles.
   */
  start(
    handler: (event: FalcoEvent, trace: Context) => Promise<void>,
    onError: (err: unknown, event: FalcoEvent) => void,
  ): void;
  /** Events accepted here and not finished. */
  readonly size: number;
  /** Resolves true when every accepted event has been handled, false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Per rule+target cooldowns (a rule's `cooldown_seconds`). In-process by default
 * (src/queue/cooldowns.ts); with NATS, a JetStream KV bucket shared by every replica, so a
 * target's next event acted on by another replica still sees the cooldown.
 */
export interface CooldownStore {
  /**
   * Starts a cooldown of `seconds` for `key` and returns undefined, or, when one is running,
   * returns the whole seconds left and changes nothing.
   */
  claim(key: string, seconds: number): Promise<number | undefined>;
}
