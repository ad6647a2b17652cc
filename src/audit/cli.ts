/**
 * `falco-talon audit`: lists the audit trail (audit.file, or the JetStream audit stream with
 * `nats`), oldest first, with filters.
 */

import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import { errorText } from "../error-text.js";
import { type NatsAuditOptions, readAuditStream } from "./jetstream.js";
import type { AuditEntry } from "./log.js";

export interface AuditListOptions {
  file: string;
  /** Read the JetStream audit stream instead of `file`. */
  nats?: NatsAuditOptions;
  /** Exact rule name. */
  rule?: string;
  /** success | failure | ignored (any case). */
  status?: string;
  /** An RFC 3339 time, or a duration back from now: `90s`, `15m`, `2h`, `7d`. */
  since?: string;
  /** Only the last N matching entries. */
  limit?: number;
  /** One JSON object per line instead of a table. */
  json?: boolean;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The `since` option as epoch ms, or an error message. */
export function parseSince(since: string, now = Date.now()): number | string {
  const rel = /^(\d+(?:\.\d+)?)([smhd])$/.exec(since.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const t = Date.parse(since);
  if (/^\d{4}-\d{2}-\d{2}/.test(since.trim()) && Number.isFinite(t)) return t;
  return `invalid --since '${since}': use an RFC 3339 time (2026-01-02T15:04:05Z) or a duration (30m, 2h, 7d)`;
}

/** The `--since` option: undefined when not given, else epoch ms or an error message. */
export function sinceOption(since: string | undefined): { ms?: number } | { error: string } {
  if (since === undefined || since === "") return {};
  const s = parseSince(since);
  return typeof s === "string" ? { error: s } : { ms: s };
}

/** An aligned table: every column padded to its widest cell but the last. */
export function printTable(columns: readonly string[], rows: string[][], out: (line: string) => void): void {
  const all = [columns.slice(), ...rows];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const r of all)
    out(
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    );
}

const COLUMNS = ["TIME", "RULE", "ACTION", "ACTIONNER", "TARGET", "STATUS", "ERROR"] as const;

function row(e: AuditEntry): string[] {
  const status = e.message === "output" ? `${e.status} (output ${e.output_target ?? ""})` : e.status;
  return [e.time, e.rule, e.action, e.actionner, e.target, status, e.error ?? e.plan ?? e.reason ?? ""];
}

/** Returns the exit code: 0 listed (possibly nothing), 1 unreadable file, 2 bad options. */
export async function runAuditList(opts: AuditListOptions, out: (line: string) => void): Promise<number> {
  const since = sinceOption(opts.since);
  if ("error" in since) {
    out(`error: ${since.error}`);
    return 2;
  }
  const sinceMs = since.ms;
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) {
    out(`error: invalid --limit '${opts.limit}': expected a positive integer`);
    return 2;
  }
  const status = opts.status?.toLowerCase();
  let kept: AuditEntry[] = [];
  let malformed = 0;
  const consider = (line: string) => {
    if (line.trim() === "") return;
    let e: AuditEntry;
    try {
      e = JSON.parse(line) as AuditEntry;
      if (typeof e !== "object" || e === null || typeof e.time !== "string") throw new Error("not an entry");
    } catch {
      // A crash can leave a torn last line; the rest of the file is still good.
      malformed++;
      return;
    }
    // Event entries (what an action acted on) are for the console, not this list of attempts.
    if (e.message === "event") return;
    if (opts.rule !== undefined && e.rule !== opts.rule) return;
    if (status !== undefined && String(e.status).toLowerCase() !== status) return;
    if (sinceMs !== undefined && !(Date.parse(e.time) >= sinceMs)) return;
    kept.push(e);
    // A file is already in time order: keep memory bounded by the limit.
    if (!opts.nats && opts.limit !== undefined && kept.length > opts.limit) kept.shift();
  };
  if (opts.nats) {
    try {
      for await (const line of readAuditStream(opts.nats, { rule: opts.rule, sinceMs })) consider(line);
    } catch (err) {
      out(`error: ${errorText(err)}`);
      return 1;
    }
    // Replicas publish concurrently: order by the entries' own time (stable for equal times).
    kept = kept
      .map((e, i) => ({ e, i, t: Date.parse(e.time) }))
      .sort((a, b) => a.t - b.t || a.i - b.i)
      .map((x) => x.e);
    if (opts.limit !== undefined) kept = kept.slice(-opts.limit);
  } else {
    if (!opts.file) {
      out("error: no audit file: set audit.file in the configuration or pass --file");
      return 2;
    }
    try {
      await access(opts.file);
    } catch (err) {
      out(`error: audit file '${opts.file}' cannot be read: ${errorText(err)}`);
      return 1;
    }
    const lines = createInterface({
      input: createReadStream(opts.file, "utf8"),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    try {
      for await (const line of lines) consider(line);
    } catch (err) {
      out(`error: audit file '${opts.file}' cannot be read: ${errorText(err)}`);
      return 1;
    }
  }
  if (opts.json) {
    for (const e of kept) out(JSON.stringify(e));
    return 0;
  }
  printTable(COLUMNS, kept.map(row), out);
  if (malformed > 0) out(`(${malformed} malformed ${malformed === 1 ? "line" : "lines"} skipped)`);
  return 0;
}
