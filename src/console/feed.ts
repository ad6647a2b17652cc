/**
 * The console's live view: a bounded buffer of the last events the pipeline processed here,
 * each with its matches and action outcomes as they are reported (it is the pipeline's
 * OutcomeWatcher), and the browsers streaming them.
 *
 * Per event it keeps references and a few small objects: no JSON, no I/O, no await. The
 * reasons a rule matched are worked out only when an event is shown. Changes are sent to
 * subscribers in batches (every `flushMs`), each changed event serialised once for all of them;
 * past `maxPending` changes between two batches the oldest are skipped, and subscribers are told.
 */
import type { AuditRecord } from "../audit/log.js";
import type { FalcoEvent } from "../events/event.js";
import type { OutcomeWatcher } from "../pipeline/report.js";
import type { Rule } from "../rules/types.js";
import { applyRecord } from "./fold.js";
import { ruleMatch } from "./reasons.js";
import type { ConsoleEvent } from "./types.js";

export type StreamKind = "event" | "update";

export interface FeedSubscriber {
  /** `json()` is the event's JSON text, computed once per batch for every subscriber. */
  send(kind: StreamKind, event: ConsoleEvent, json: () => string): void;
  /** Changes were skipped because too many came between two batches. */
  skipped(count: number): void;
}

export interface FeedOptions {
  /** Events kept (console.buffer). */
  capacity: number;
  /** hostname:pid of this replica. */
  replica: string;
  flushMs?: number;
  maxPending?: number;
}

interface Entry {
  view: ConsoleEvent;
  event: FalcoEvent;
  rules: readonly Rule[];
  /** Whether view.matches has its reasons yet. */
  reasoned: boolean;
}

export class ConsoleFeed implements OutcomeWatcher {
  private readonly entries = new Map<string, Entry>();
  private readonly subscribers = new Set<FeedSubscriber>();
  private readonly pending = new Map<string, StreamKind>();
  /** Run durations by action id, waiting for the action's outcome (bounded). */
  private readonly durations = new Map<string, number>();
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly maxPending: number;

  constructor(private readonly opts: FeedOptions) {
    this.flushMs = opts.flushMs ?? 100;
    this.maxPending = opts.maxPending ?? 1000;
  }

  // ── OutcomeWatcher (called by the pipeline's Reporter) ───────────────────
  processed(event: FalcoEvent, matched: readonly Rule[]): void {
    const view: ConsoleEvent = {
      id: event.id,
      ...(event.trace_id ? { trace_id: event.trace_id } : {}),
      received_at: new Date().toISOString(),
      replica: this.opts.replica,
      event: {
        output: event.output,
        priority: event.priority,
        rule: event.rule,
        hostname: event.hostname,
        time: event.time,
        source: event.source,
        output_fields: event.output_fields,
        tags: event.tags,
      },
      matches: [],
      actions: [],
    };
    this.entries.delete(event.id);
    this.entries.set(event.id, { view, event, rules: matched, reasoned: matched.length === 0 });
    if (this.entries.size > this.opts.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.pending.delete(oldest);
    }
    this.changed(event.id, "event");
  }

  attempt(event: FalcoEvent, record: AuditRecord): void {
    const entry = this.entries.get(event.id);
    if (!entry) return;
    applyRecord(entry.view, record, record.time ?? new Date().toISOString());
    const ms = record.action_id === undefined ? undefined : this.durations.get(record.action_id);
    if (ms !== undefined && record.message === "action") {
      this.durations.delete(record.action_id!);
      const a = entry.view.actions.find((x) => x.action_id === record.action_id);
      if (a) a.duration_ms = Math.round(ms * 1000) / 1000;
    }
    this.changed(event.id, "update");
  }

  duration(event: FalcoEvent, actionId: string, ms: number): void {
    const entry = this.entries.get(event.id);
    if (!entry) return;
    // Known just before the action's outcome is reported (attempt), which picks it up.
    if (this.durations.size >= 1000) this.durations.clear();
    this.durations.set(actionId, ms);
  }

  notified(eventId: string, actionId: string, notifier: string, status: string, error?: string): void {
    const entry = this.entries.get(eventId);
    const a = entry?.view.actions.find((x) => x.action_id === actionId);
    if (!a) return;
    a.notifications.push({ notifier, status, ...(error ? { error } : {}) });
    this.changed(eventId, "update");
  }

  /** A revert entry (from the undo side's audit records). */
  reverted(record: AuditRecord): void {
    if (record.message !== "revert") return;
    const entry = this.entries.get(record.event_id);
    if (!entry) return;
    applyRecord(entry.view, record, record.time ?? new Date().toISOString());
    this.changed(record.event_id, "update");
  }

  // ── Reading ──────────────────────────────────────────────────────────────
  get(id: string): ConsoleEvent | undefined {
    const entry = this.entries.get(id);
    return entry ? this.viewOf(entry) : undefined;
  }

  /** Every event kept, newest first. */
  all(): ConsoleEvent[] {
    const out: ConsoleEvent[] = [];
    for (const entry of this.entries.values()) out.push(this.viewOf(entry));
    return out.reverse();
  }

  get size(): number {
    return this.entries.size;
  }

  // ── Streaming ────────────────────────────────────────────────────────────
  subscribe(s: FeedSubscriber): () => void {
    this.subscribers.add(s);
    return () => {
      this.subscribers.delete(s);
      if (this.subscribers.size === 0) {
        this.pending.clear();
        this.dropped = 0;
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private viewOf(entry: Entry): ConsoleEvent {
    if (!entry.reasoned) {
      entry.view.matches = entry.rules.map((r) => ruleMatch(r, entry.event));
      entry.reasoned = true;
    }
    return entry.view;
  }

  private changed(id: string, kind: StreamKind): void {
    if (this.subscribers.size === 0) return;
    if (this.pending.get(id) !== "event") {
      this.pending.delete(id);
      this.pending.set(id, kind);
    }
    if (this.pending.size > this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.dropped++;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Sends the pending changes now (the timer calls it; tests may too). */
  flush(): void {
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped > 0) for (const s of this.subscribers) s.skipped(dropped);
    for (const [id, kind] of batch) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      const view = this.viewOf(entry);
      let text: string | undefined;
      const json = () => {
        text ??= JSON.stringify(view);
        return text;
      };
      for (const s of this.subscribers) s.send(kind, view, json);
    }
  }
}
