/**
 * The expiry of `revert_after`: every replica looks for due actions now and then, claims each
 * one in the store (only one replica wins a claim; a claim of a replica that died lapses after
 * its lease) and reverts it. A failed revert is retried by each replica after a growing delay
 * (5 s doubling up to 5 min), so an unreachable API server gives a few errors, not one a second;
 * a conflict or a success ends the expiry.
 */
import type { Logger } from "pino";
import { errorText } from "../error-text.js";
import type { Reverter } from "./reverter.js";
import type { UndoStore } from "./store.js";

export interface ExpiryOptions {
  store: UndoStore;
  reverter: Reverter;
  logger: Logger;
  replica: string;
  /** How often the store is looked at (default 1 s). */
  pollMs?: number;
  /** How long a claim holds off the other replicas (default 60 s). */
  leaseMs?: number;
  /** The first delay before a failed revert is tried again (default 5 s; doubles up to 5 min). */
  retryMs?: number;
}

const MAX_RETRY_MS = 300_000;

export class Expiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Failed reverts: when this replica may try again, and the delay after the next failure. */
  private readonly retries = new Map<string, { at: number; delayMs: number }>();

  constructor(private readonly opts: ExpiryOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Looks for due actions now (e.g. right after an action with a short revert_after). */
  wake(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.opts.pollMs ?? 1000);
      });
    }, ms);
    this.timer.unref();
  }

  /** One pass: every due action this replica can claim is reverted, one at a time. */
  async tick(now = Date.now()): Promise<void> {
    const { store, reverter, logger, replica } = this.opts;
    let due: Awaited<ReturnType<UndoStore["due"]>>;
    try {
      due = await store.due(now);
    } catch (err) {
      logger.error({ error: errorText(err) }, "revert_after: the undo store cannot be read");
      return;
    }
    for (const action of due) {
      if (this.stopped) return;
      const id = action.action_id;
      const retry = this.retries.get(id);
      if (retry && retry.at > now) continue;
      let failed = false;
      try {
        if (!(await store.claim(id, replica, this.opts.leaseMs ?? 60_000))) continue;
        const outcome = await reverter.revert(id, { trigger: "expiry", claimed: true });
        failed = outcome.kind === "reverted" && outcome.result.status === "failure";
      } catch (err) {
        failed = true;
        logger.error({ action_id: id, error: errorText(err) }, "revert_after: revert failed");
      }
      if (failed) {
        const delayMs = retry ? Math.min(retry.delayMs * 2, MAX_RETRY_MS) : (this.opts.retryMs ?? 5000);
        this.retries.set(id, { at: now + delayMs, delayMs });
      } else this.retries.delete(id);
    }
  }

  /** Stops looking and waits for a revert under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
