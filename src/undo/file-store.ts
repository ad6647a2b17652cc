/**
 * The undo store of an engine with `audit.file`: the audit trail already holds each reversible
 * action (its `undo` and `revert_at`) and each revert, so the store is rebuilt from the file at
 * start (pending expiries survive a restart) and kept in memory after; the audit sink writes
 * the lines.
 */
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { AuditEntry } from "../audit/log.js";
import { errorText } from "../error-text.js";
import { ACTION_ID, type ReversibleAction, type RevertRecord } from "./action.js";
import { MemoryUndoStore } from "./store.js";

export class FileUndoStore extends MemoryUndoStore {
  /** Malformed lines skipped while reading (a crash can tear the last line). */
  malformed = 0;

  private constructor(readonly file: string) {
    super();
  }

  /** Reads the audit file (a missing file is an empty trail); throws when it can't be read. */
  static async open(file: string): Promise<FileUndoStore> {
    const store = new FileUndoStore(file);
    try {
      await access(file);
    } catch {
      return store;
    }
    const lines = createInterface({
      input: createReadStream(file, "utf8"),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    try {
      for await (const line of lines) store.consider(line);
    } catch (err) {
      throw new Error(`audit file '${file}' cannot be read: ${errorText(err)}`);
    }
    return store;
  }

  private consider(line: string): void {
    if (line.trim() === "") return;
    let e: AuditEntry;
    try {
      e = JSON.parse(line) as AuditEntry;
    } catch {
      this.malformed++;
      return;
    }
    if (
      typeof e !== "object" ||
      e === null ||
      typeof e.action_id !== "string" ||
      !ACTION_ID.test(e.action_id)
    )
      return;
    const action = reversibleFromEntry(e);
    if (action) this.keep(action);
    const revert = revertFromEntry(e);
    if (revert) this.keepRevert(revert);
  }
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** The reversible action an audit entry records: a successful action with an undo record. */
export function reversibleFromEntry(e: AuditEntry): ReversibleAction | undefined {
  if (e.message !== "action" || e.status !== "success" || !e.action_id) return undefined;
  if (typeof e.undo !== "object" || e.undo === null || Array.isArray(e.undo)) return undefined;
  return {
    action_id: e.action_id,
    time: String(e.time),
    replica: String(e.replica ?? ""),
    event_id: String(e.event_id ?? ""),
    ...(e.trace_id ? { trace_id: String(e.trace_id) } : {}),
    rule: String(e.rule ?? ""),
    action: String(e.action ?? ""),
    actionner: String(e.actionner ?? ""),
    target: String(e.target ?? ""),
    objects: typeof e.objects === "object" && e.objects !== null ? e.objects : {},
    undo: e.undo,
    ...(typeof e.revert_at === "string" && Number.isFinite(Date.parse(e.revert_at))
      ? { revert_at: e.revert_at }
      : {}),
  };
}

/** The revert an audit entry records (dry runs are not reverts). */
export function revertFromEntry(e: AuditEntry): RevertRecord | undefined {
  if (e.message !== "revert" || !e.action_id || e.reason === "dry_run") return undefined;
  if (e.status !== "success" && e.status !== "conflict" && e.status !== "failure") return undefined;
  return {
    action_id: e.action_id,
    time: String(e.time),
    trigger: e.trigger === "expiry" ? "expiry" : "manual",
    replica: String(e.replica ?? ""),
    status: e.status,
    reverted: strings(e.reverted),
    unchanged: strings(e.unchanged),
    conflicts: strings(e.conflicts),
    ...(e.error ? { error: String(e.error) } : {}),
  };
}
