/**
 * The expiry of `revert_after`: every replica looks for due actions now and then, claims each
 * one in the store (only one replica wins a claim; a claim of a replica that died lapses after
 * its lease) and reverts it. A failed revert is retried when its lease lapses; a conflict or a
 * success ends the expiry.
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
}

export class Expiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

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
      try {
        if (!(await store.claim(action.action_id, replica, this.opts.leaseMs ?? 60_000))) continue;
        await reverter.revert(action.action_id, { trigger: "expiry" });
      } catch (err) {
        logger.error({ action_id: action.action_id, error: errorText(err) }, "revert_after: revert failed");
      }
    }
  }

  /** Stops looking and waits for a revert under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
