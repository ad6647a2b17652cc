/**
 * Prometheus metrics with Talon's names and labels, but bounded
 * cardinality: labels only carry rule/action/actionner/notifier names, statuses and
 * categories, never output text or per-object values.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { VERSION } from "../version.js";

const PREFIX = "falcosecurity_falco_talon_";
const SCOPE = { otel_scope_name: "github.com/falcosecurity/falco-talon", otel_scope_version: VERSION };

/** The bounded labels of a received event. */
export interface EventCountLabels {
  event: string;
  priority: string;
  source: string;
}

export class Metrics {
  readonly registry = new Registry();
  readonly events: Counter<"event" | "priority" | "source" | "otel_scope_name" | "otel_scope_version">;
  readonly matches: Counter<
    "rule" | "event" | "priority" | "source" | "otel_scope_name" | "otel_scope_version"
  >;
  readonly actions: Counter<
    "rule" | "event" | "action" | "actionner" | "status" | "otel_scope_name" | "otel_scope_version"
  >;
  readonly outputs: Counter<
    "rule" | "action" | "status" | "category" | "target" | "otel_scope_name" | "otel_scope_version"
  >;
  readonly notifications: Counter<
    | "rule"
    | "action"
    | "actionner"
    | "notifier"
    | "status"
    | "target"
    | "otel_scope_name"
    | "otel_scope_version"
  >;
  readonly deduplicated: Counter<string>;
  readonly rejected: Counter<"reason">;
  readonly queueDepth: Gauge<string>;
  readonly actionSeconds: Histogram<"actionner" | "status">;
  readonly reverts: Counter<"actionner" | "status" | "trigger">;
  /**
   * Events counted since the last scrape, by label values. Labelling a prom-client counter
   * hashes and validates the labels on every call, which showed in the intake profile; the
   * counts are added to `events` when it is read (its collect hook). Labels are bounded, so
   * this map is too.
   */
  private readonly pendingEvents = new Map<string, { labels: EventCountLabels; n: number }>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.events = new Counter({
      name: `${PREFIX}events_total`,
      help: "Falco events received (duplicates included)",
      labelNames: ["event", "priority", "source", "otel_scope_name", "otel_scope_version"],
      registers,
      collect: () => this.flushEvents(),
    });
    this.matches = new Counter({
      name: `${PREFIX}matches_total`,
      help: "Rules matched by events",
      labelNames: ["rule", "event", "priority", "source", "otel_scope_name", "otel_scope_version"],
      registers,
    });
    this.actions = new Counter({
      name: `${PREFIX}actions_total`,
      help: "Actions run, by status",
      labelNames: ["rule", "event", "action", "actionner", "status", "otel_scope_name", "otel_scope_version"],
      registers,
    });
    this.outputs = new Counter({
      name: `${PREFIX}outputs_total`,
      help: "Artifacts sent to outputs, by status",
      labelNames: ["rule", "action", "status", "category", "target", "otel_scope_name", "otel_scope_version"],
      registers,
    });
    this.notifications = new Counter({
      name: `${PREFIX}notifications_total`,
      help: "Notifications sent, by status",
      labelNames: [
        "rule",
        "action",
        "actionner",
        "notifier",
        "status",
        "target",
        "otel_scope_name",
        "otel_scope_version",
      ],
      registers,
    });
    this.deduplicated = new Counter({
      name: `${PREFIX}events_deduplicated_total`,
      help: "Events dropped as duplicates inside the deduplication window",
      registers,
    });
    this.rejected = new Counter({
      name: `${PREFIX}events_rejected_total`,
      help: "Requests rejected at intake, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.queueDepth = new Gauge({
      name: `${PREFIX}queue_depth`,
      help: "Events accepted and not yet processed",
      registers,
    });
    this.actionSeconds = new Histogram({
      name: `${PREFIX}action_duration_seconds`,
      help: "Duration of actions",
      labelNames: ["actionner", "status"],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    });
    this.reverts = new Counter({
      name: `${PREFIX}reverts_total`,
      help: "Reverts of reversible actions, by status (success, conflict, failure) and trigger (manual, expiry)",
      labelNames: ["actionner", "status", "trigger"],
      registers,
    });
  }

  static scope = SCOPE;

  /** Counts one received event (see pendingEvents). */
  countEvent(labels: EventCountLabels): void {
    const key = `${labels.event}\u0000${labels.priority}\u0000${labels.source}`;
    const pending = this.pendingEvents.get(key);
    if (pending) pending.n++;
    else this.pendingEvents.set(key, { labels, n: 1 });
  }

  private flushEvents(): void {
    for (const pending of this.pendingEvents.values()) {
      if (pending.n === 0) continue;
      this.events.inc({ ...pending.labels, ...SCOPE }, pending.n);
      pending.n = 0;
    }
  }
}
