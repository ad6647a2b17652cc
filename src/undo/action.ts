/**
 * A reversible action as the engine keeps it: what the action did (its undo record), when it
 * expires, and how its reverts ended. The audit trail holds these (the `undo` and `revert_at` of
 * an action entry, then `revert` entries); with NATS, a JetStream KV bucket does too.
 */
import { hash } from "node:crypto";
import type { RevertStatus } from "../plugins/types.js";

export interface ReversibleAction {
  /** The action attempt's stable id (actionId). */
  action_id: string;
  /** ISO time the action ran. */
  time: string;
  /** hostname:pid of the engine that ran it. */
  replica: string;
  event_id: string;
  trace_id?: string;
  rule: string;
  action: string;
  actionner: string;
  /** What the event acted on (`pod:ns/name`, ...). */
  target: string;
  objects: Record<string, string>;
  /** The actionner's record of what it changed (its `reversible.record` shape). */
  undo: Record<string, unknown>;
  /** ISO time of the automatic revert (`revert_after`), when there is one. */
  revert_at?: string;
}

/** Who asked for a revert: a person (CLI, HTTP) or the action's `revert_after`. */
export type RevertTrigger = "manual" | "expiry";

export interface RevertRecord {
  action_id: string;
  /** ISO time the revert ended. */
  time: string;
  trigger: RevertTrigger;
  /** hostname:pid of the engine (or CLI) that reverted it. */
  replica: string;
  status: RevertStatus;
  reverted: string[];
  unchanged: string[];
  conflicts: string[];
  error?: string;
}

/** A kept action and the outcome of its last revert, if any. */
export interface StoredAction extends ReversibleAction {
  revert?: RevertRecord;
}

/**
 * An action attempt's id: the same event, rule and action always give the same id, so an event
 * redelivered by NATS does not make a second record of the same change.
 */
export function actionId(eventId: string, rule: string, action: string): string {
  // one-shot hashing: the same digest as a Hash object's, without making one per action
  return hash("sha256", `${eventId}\u0000${rule}\u0000${action}`, "hex").slice(0, 20);
}

/** True once a revert left nothing to undo: later reverts are no-ops and the expiry is done. */
export function isReverted(a: StoredAction): boolean {
  return a.revert?.status === "success";
}

/**
 * True once a revert ended for good: everything undone, or what was left is someone else's
 * change (a conflict). The expiry is over; a failed revert is retried.
 */
export function isSettled(a: StoredAction): boolean {
  return a.revert?.status === "success" || a.revert?.status === "conflict";
}

/** A revert id is 20 lowercase hex characters: anything else from a URL or CLI is refused as is. */
export const ACTION_ID = /^[0-9a-f]{20}$/;
