/**
 * Where reversible actions are kept between the action and its revert: in process (no audit
 * file, no NATS), the audit file (survives a restart), or a JetStream KV bucket shared by the
 * replicas (survives the loss of the replica that acted).
 */
import type { ReversibleAction, RevertRecord, StoredAction } from "./action.js";
import { isReverted, isSettled } from "./action.js";

export interface UndoStore {
  /** Keeps a reversible action (and its pending expiry, if any). */
  put(action: ReversibleAction): Promise<void>;
  get(id: string): Promise<StoredAction | undefined>;
  /** Every kept action, oldest first. */
  list(): Promise<StoredAction[]>;
  /** Records how a revert ended; a `success` makes later reverts no-ops and ends the expiry. */
  reverted(record: RevertRecord): Promise<void>;
  /** Actions whose `revert_at` has come (`<= now`) and whose revert has not settled (isSettled). */
  due(now: number): Promise<StoredAction[]>;
  /**
   * Claims the expiry of `id` for `replica` for `leaseMs`: true for exactly one caller among the
   * replicas until the lease ends (the claimer may have died) or the action is reverted.
   */
  claim(id: string, replica: string, leaseMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The store of a single engine without an audit file: lost on restart. */
export class MemoryUndoStore implements UndoStore {
  protected readonly actions = new Map<string, StoredAction>();
  private readonly claims = new Map<string, number>();

  async put(action: ReversibleAction): Promise<void> {
    this.keep(action);
  }

  /**
   * Adds an action; a second record of the same id (an event redelivered after the first run
   * changed things, whose rerun found nothing left to change) keeps the first, which holds what
   * the action really changed.
   */
  protected keep(action: ReversibleAction): void {
    if (!this.actions.has(action.action_id)) this.actions.set(action.action_id, { ...action });
  }

  protected keepRevert(record: RevertRecord): void {
    const a = this.actions.get(record.action_id);
    // A success stays the outcome: a later no-op revert does not hide it.
    if (a && !isReverted(a)) a.revert = record;
  }

  async get(id: string): Promise<StoredAction | undefined> {
    return this.actions.get(id);
  }

  async list(): Promise<StoredAction[]> {
    return [...this.actions.values()].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }

  async reverted(record: RevertRecord): Promise<void> {
    this.keepRevert(record);
    this.claims.delete(record.action_id);
  }

  async due(now: number): Promise<StoredAction[]> {
    const out: StoredAction[] = [];
    for (const a of this.actions.values()) {
      if (a.revert_at !== undefined && !isSettled(a) && Date.parse(a.revert_at) <= now) out.push(a);
    }
    return out;
  }

  async claim(id: string, _replica: string, leaseMs: number): Promise<boolean> {
    const a = this.actions.get(id);
    if (!a || isSettled(a)) return false;
    const until = this.claims.get(id);
    const now = Date.now();
    if (until !== undefined && until > now) return false;
    this.claims.set(id, now + leaseMs);
    return true;
  }

  async close(): Promise<void> {}
}
