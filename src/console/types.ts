/**
 * The operator console's wire types: what the server sends to the browser under `/ui/api/`.
 * The front end (ui/) and the server (src/console/) agree on these and on nothing else.
 *
 * One `ConsoleEvent` is one accepted Falco event with everything that followed from it: the rules
 * it matched and why, and each action attempt (plan, result, outputs, notifications, revert).
 */

import type { ReceivedEvent } from "../events/event.js";

/** The event as received (the fields Talon's intake decodes; `time` is RFC 3339 text as sent, "" when absent). */
export type { ReceivedEvent };

/** One match criterion of a Talon rule and whether the event met it. */
export interface MatchReason {
  /** `rules`, `priority`, `tags`, `source`, `output_fields` (the rule's `match` keys). */
  criterion: string;
  /** The rule's condition, as written (e.g. `>= Warning`, `k8s.ns.name!=kube-system`). */
  expected: string;
  /** What the event had for it. */
  actual: string;
  held: boolean;
}

export interface RuleMatch {
  /** The Talon rule's name. */
  rule: string;
  /** file:line of the rule. */
  origin?: string;
  reasons: MatchReason[];
}

export interface ConsoleOutput {
  /** `local:file`, `aws:s3`, `gcp:gcs`, `minio:s3`. */
  target: string;
  status: string;
  error?: string;
  /** The output's objects (file path, bucket, key...). */
  objects: Record<string, string>;
  /** A download link for `local:file` artifacts (under /ui/api/artifacts/). */
  download?: string;
}

export interface ConsoleNotification {
  notifier: string;
  status: string;
  error?: string;
}

export interface ConsoleAction {
  /** The attempt's stable id (as in the audit trail); reverts use it. */
  action_id?: string;
  rule: string;
  action: string;
  actionner: string;
  target: string;
  /** `success`, `failure`, `ignored`. */
  status: string;
  reason?: string;
  stage?: string;
  error?: string;
  plan?: string;
  objects?: Record<string, string>;
  details?: Record<string, unknown>;
  /** ISO time of the outcome. */
  time: string;
  duration_ms?: number;
  outputs: ConsoleOutput[];
  notifications: ConsoleNotification[];
  /** A change that can be reverted (`POST /ui/api/actions/<action_id>/revert`). */
  reversible: boolean;
  revert_at?: string;
  /** Set once reverted: when, by whom (`manual`, `expiry`) and the outcome. */
  reverted?: { time: string; trigger: string; status: string; conflicts?: string[] };
}

export interface ConsoleEvent {
  /** The engine's event id. */
  id: string;
  trace_id?: string;
  /** ISO time the engine accepted it. */
  received_at: string;
  /** hostname:pid of the replica that handled it. */
  replica: string;
  event: ReceivedEvent;
  matches: RuleMatch[];
  actions: ConsoleAction[];
}

/**
 * What `GET /ui/api/stream` (server-sent events) sends, one JSON object per `data:` line:
 * `event: event` with a whole ConsoleEvent when one is accepted (its matches known), then
 * `event: update` with the same event again, whole, each time an action, output, notification
 * or revert of it is reported. The browser replaces by `id`.
 */
export type StreamMessage = ConsoleEvent;

/** `GET /ui/api/events?…` answer (newest first). */
export interface EventsPage {
  events: ConsoleEvent[];
  /** Pass as `before` for the next (older) page; absent at the end. */
  next?: string;
}

export interface ConsoleRule {
  name: string;
  /** file:line:col it came from. */
  origin?: string;
  description?: string;
  /** The rule's `match` as written (YAML-equivalent JSON). */
  match: Record<string, unknown>;
  actions: { name: string; actionner: string; origin?: string; parameters: Record<string, unknown> }[];
  dry_run?: boolean | "server";
  continue?: boolean;
}

export interface RulesState {
  rules: ConsoleRule[];
  files: string[];
  /** The last load or reload: its ISO time, whether it took effect, and every problem of a failed one. */
  last_reload: { time: string; ok: boolean; problems: string[] };
}

/** `POST /ui/api/rehearse` body: an event as Falco posts it (JSON). Answer: */
export interface RehearseResult {
  event: ReceivedEvent;
  matches: RuleMatch[];
  /** Every rule that did not match, with the criterion that failed. */
  misses: RuleMatch[];
  /** Each action the matched rules would run, in order, with its rendered plan; nothing is run. */
  plans: {
    rule: string;
    action: string;
    actionner: string;
    plan?: string;
    objects?: Record<string, string>;
    details?: Record<string, unknown>;
    error?: string;
    /** For `dry_run: server` rules: the API server's own dry-run verdict. */
    server_dry_run?: { status: string; error?: string };
  }[];
}

/** `GET /ui/api/stats?since=…&bucket=…`: counts over time for the charts. */
export interface Stats {
  /** Bucket start times, epoch seconds. */
  times: number[];
  by_priority: Record<string, number[]>;
  by_action_status: Record<string, number[]>;
}
