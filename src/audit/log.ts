/**
 * The action audit trail: one JSON line per action attempt, appended to `audit.file`.
 * Each line is a single write on a file opened for appending, so lines from several
 * replicas sharing a file do not interleave, and the file survives restarts.
 */

import { closeSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { errorText } from "../error-text.js";
import type { ReceivedEvent } from "../events/event.js";
import { stringifyJsonExact } from "../events/json.js";

export interface AuditEntry {
  /** ISO time of the attempt's outcome. */
  time: string;
  /** hostname:pid of the engine that ran it. */
  replica: string;
  /**
   * `action` for the actionner step, `output` for the artifact upload step, `revert` for the
   * undoing of an earlier action (its `action_id`), `event` for an accepted event that matched
   * (`event` and `rules` set; `rule` is the first rule it matched, `status` is `matched`).
   */
  message: "action" | "output" | "revert" | "event";
  /** The action attempt's stable id (`falco-talon revert <action_id>`). */
  action_id?: string;
  /** The engine's id of the Falco event (idempotency key; unique per accepted event). */
  event_id: string;
  /** The OTel trace id of the event (the `trace_id` of logs and notifications). */
  trace_id?: string;
  rule: string;
  action: string;
  actionner: string;
  /** What the event acts on (`pod:ns/name`, `k8s:resource/ns/name`, `event:<id>`). */
  target: string;
  /** The output target (`aws:s3`…), output steps only. */
  output_target?: string;
  status: string;
  error?: string;
  /** Why an action was not run: `cooldown`, `duplicate`, `dry_run`. */
  reason?: string;
  /** The step that failed before the actionner ran: `checks`, `parameters`. */
  stage?: string;
  /** A dry run's plan: what the action would have done. */
  plan?: string;
  /** The objects acted on (or that a dry run would act on). */
  objects?: Record<string, string>;
  /** A plan's structured detail (the command line, the policy object, ...). */
  details?: Record<string, unknown>;
  /** A reversible action's record of what it changed (what a revert undoes). */
  undo?: Record<string, unknown>;
  /** When a reversible action with `revert_after` is reverted by itself (ISO time). */
  revert_at?: string;
  /** Revert entries: who asked (`manual`, `expiry`). */
  trigger?: string;
  /** Revert entries: the parts restored, already as before, and left alone (conflicts). */
  reverted?: string[];
  unchanged?: string[];
  conflicts?: string[];
  /** Event entries: the event as received. */
  event?: AuditedEvent;
  /** Event entries: every rule it matched, in order. */
  rules?: string[];
}

/** An event as received (the fields the intake decodes), in an `event` entry. */
export type AuditedEvent = ReceivedEvent;

export type AuditRecord = Omit<AuditEntry, "time" | "replica"> & { time?: string };

export function replicaId(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Where audit entries go: the JSONL file (AuditLog) and/or a JetStream stream
 * (JetStreamAuditLog). `record` never throws and never waits; errors go to the sink's onError.
 */
export interface AuditSink {
  record(r: AuditRecord): void;
  /** Flushes what is still buffered (best effort) and releases the file or connection. */
  close(): Promise<void> | void;
}

/** The complete entry for a record: time defaults to now, empty optional fields are dropped. */
export function auditEntry(r: AuditRecord, replica: string): AuditEntry {
  const { time, ...rest } = r;
  const entry: AuditEntry = { time: time ?? new Date().toISOString(), replica, ...rest };
  for (const k of [
    "action_id",
    "trace_id",
    "output_target",
    "error",
    "reason",
    "stage",
    "plan",
    "revert_at",
    "trigger",
  ] as const) {
    if (!entry[k]) delete entry[k];
  }
  for (const k of ["objects", "details", "undo"] as const) {
    const v = entry[k];
    if (v === undefined || Object.keys(v).length === 0) delete entry[k];
  }
  return entry;
}

/**
 * An entry's JSON line. An event entry's fields may hold numbers past JavaScript's precision
 * (nanosecond times): they are written as sent.
 */
export function auditLine(entry: AuditEntry): string {
  return entry.message === "event" ? stringifyJsonExact(entry) : JSON.stringify(entry);
}

/** One sink writing to several (file and stream when both are configured). */
export function combineAuditSinks(sinks: AuditSink[]): AuditSink | undefined {
  if (sinks.length <= 1) return sinks[0];
  return {
    record: (r) => {
      for (const s of sinks) s.record(r);
    },
    close: async () => {
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}

export class AuditLog implements AuditSink {
  private fd: number | undefined;
  private readonly replica = replicaId();

  /**
   * Opens (creating it when missing) the file for appending; throws a clear error when it
   * cannot. The directory must exist (Node 20's recursive mkdir can spin forever on /proc). Write errors later go to `onError`, never to the caller.
   */
  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void = () => {},
  ) {
    try {
      this.fd = openSync(file, "a", 0o640);
    } catch (err) {
      throw new Error(`audit.file '${file}' cannot be opened: ${errorText(err)}`);
    }
  }

  record(r: AuditRecord): void {
    if (this.fd === undefined) return;
    const entry = auditEntry(r, this.replica);
    try {
      // Synchronous: the line is on disk (in the page cache) before the pipeline moves on.
      writeSync(this.fd, `${auditLine(entry)}\n`);
    } catch (err) {
      this.onError(`audit.file '${this.file}': ${errorText(err)}`);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
