/**
 * The console's live view: a bounded buffer of the last events the pipeline processed here,
 * each with its matches and action outcomes as they are reported (it is the pipeline's
 * OutcomeWatcher), and the browsers streaming them.
 *
 * Per event it keeps references (the event, its rules, its records): no JSON, no I/O, no
 * await. What the browser sees (and why each rule matched) is built only when an event is shown
 * or streamed. Changes are sent to
 * subscribers in batches (every `flushMs`), each changed event serialised once for all of them;
 * past `maxPending` changes between two batches (100 by default) the oldest are skipped, and
 * subscribers are told.
 */
import type { AuditRecord } from "../audit/log.js";
import { type FalcoEvent, receivedFields } from "../events/event.js";
import { stringifyJsonExact } from "../events/json.js";
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
  /** The batch is complete: what `send` gathered can go out (one write a batch, not one an event). */
  batchEnd?(): void;
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
  event: FalcoEvent;
  rules: readonly Rule[];
  /** Epoch ms it was processed. */
  at: number;
  /** Its action, output and revert records, in order, each with the epoch ms it came. */
  records: { record: AuditRecord; at: number }[];
  durations?: Map<string, number>;
  notes?: { actionId: string; notifier: string; status: string; error?: string }[];
  /** The view built from the above; rebuilt when something came since. */
  view?: ConsoleEvent;
  /** The matches with their reasons, worked out once. */
  matches?: ConsoleEvent["matches"];
}

export class ConsoleFeed implements OutcomeWatcher {
  private readonly entries = new Map<string, Entry>();
  private readonly subscribers = new Set<FeedSubscriber>();
  private readonly pending = new Map<string, StreamKind>();
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly maxPending: number;

  constructor(private readonly opts: FeedOptions) {
    this.flushMs = opts.flushMs ?? 100;
    // 100 a batch, 1,000 events a second to a browser: more than anyone reads, and the stream's
    // work (building, serialising, filtering each event) stays a bounded share of the intake's
    // CPU at any rate; what is skipped stays in the buffer and the history.
    this.maxPending = opts.maxPending ?? 100;
  }

  // ── OutcomeWatcher (called by the pipeline's Reporter): references only ──
  processed(event: FalcoEvent, matched: readonly Rule[]): void {
    this.entries.delete(event.id);
    this.entries.set(event.id, { event, rules: matched, at: Date.now(), records: [] });
    if (this.entries.size > this.opts.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.pending.delete(oldest);
    }
    this.changed(event.id, "event");
  }

  attempt(event: FalcoEvent, record: AuditRecord): void {
    this.add(event.id, record);
  }

  duration(event: FalcoEvent, actionId: string, ms: number): void {
    const entry = this.entries.get(event.id);
    if (!entry) return;
    entry.durations ??= new Map();
    entry.durations.set(actionId, ms);
  }

  notified(eventId: string, actionId: string, notifier: string, status: string, error?: string): void {
    const entry = this.entries.get(eventId);
    if (!entry) return;
    entry.notes ??= [];
    entry.notes.push({ actionId, notifier, status, ...(error ? { error } : {}) });
    entry.view = undefined;
    this.changed(eventId, "update");
  }

  /** A revert entry (from the undo side's audit records). */
  reverted(record: AuditRecord): void {
    if (record.message === "revert") this.add(record.event_id, record);
  }

  private add(eventId: string, record: AuditRecord): void {
    const entry = this.entries.get(eventId);
    if (!entry) return;
    entry.records.push({ record, at: Date.now() });
    entry.view = undefined;
    this.changed(eventId, "update");
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
    if (entry.view) return entry.view;
    const e = entry.event;
    entry.matches ??= entry.rules.map((r) => ruleMatch(r, e));
    const view: ConsoleEvent = {
      id: e.id,
      ...(e.trace_id ? { trace_id: e.trace_id } : {}),
      received_at: new Date(entry.at).toISOString(),
      replica: this.opts.replica,
      event: receivedFields(e),
      matches: entry.matches,
      actions: [],
    };
    for (const { record, at } of entry.records)
      applyRecord(view, record, record.time ?? new Date(at).toISOString());
    for (const a of view.actions) {
      const ms = a.action_id === undefined ? undefined : entry.durations?.get(a.action_id);
      if (ms !== undefined) a.duration_ms = Math.round(ms * 1000) / 1000;
    }
    for (const n of entry.notes ?? []) {
      const a = view.actions.find((x) => x.action_id === n.actionId);
      a?.notifications.push({
        notifier: n.notifier,
        status: n.status,
        ...(n.error ? { error: n.error } : {}),
      });
    }
    entry.view = view;
    return view;
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
        text ??= stringifyJsonExact(view);
        return text;
      };
      for (const s of this.subscribers) s.send(kind, view, json);
    }
    for (const s of this.subscribers) s.batchEnd?.();
  }
}
