/**
 * The console's event filters, shared by `GET /ui/api/events`, `/ui/api/stream` and
 * `/ui/api/stats`: priority, Falco rule, Talon rule, namespace, pod, actionner, action status,
 * time range and free text. Query values are typed by a person: a bad one is an error naming
 * the parameter, never a silently ignored filter.
 */
import type { ConsoleEvent } from "./types.js";

export interface EventFilter {
  /** Lower-cased priorities; any of them. */
  priorities?: Set<string>;
  falcoRule?: string;
  rule?: string;
  namespace?: string;
  pod?: string;
  actionner?: string;
  /** Lower-cased action status. */
  status?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Lower-cased free text. */
  q?: string;
}

export class FilterError extends Error {}

const MAX_TEXT = 500;

function text(params: URLSearchParams, name: string): string | undefined {
  const v = params.get(name);
  if (v === null || v === "") return undefined;
  if (v.length > MAX_TEXT) throw new FilterError(`${name}: longer than ${MAX_TEXT} characters`);
  return v;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time: RFC 3339, epoch milliseconds, or a duration back from now (`90s`, `15m`, `2h`, `7d`,
 * as `falco-talon audit --since` takes).
 */
export function parseTime(name: string, value: string, now = Date.now()): number {
  const v = value.trim();
  if (/^\d{10,16}$/.test(v)) return Number(v);
  const rel = /^(\d+(?:\.\d+)?)([smhd])$/.exec(v);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const t = Date.parse(v);
  if (/^\d{4}-\d{2}-\d{2}/.test(v) && Number.isFinite(t)) return t;
  throw new FilterError(
    `${name}: '${value.slice(0, 50)}' is not a time (RFC 3339, epoch ms, or a duration such as 15m)`,
  );
}

export function parseFilter(params: URLSearchParams, now = Date.now()): EventFilter {
  const f: EventFilter = {};
  const priority = text(params, "priority");
  if (priority)
    f.priorities = new Set(
      priority
        .split(",")
        .map((p) => p.trim().toLowerCase())
        .filter((p) => p !== ""),
    );
  f.falcoRule = text(params, "falco_rule");
  f.rule = text(params, "rule");
  f.namespace = text(params, "namespace");
  f.pod = text(params, "pod");
  f.actionner = text(params, "actionner");
  f.status = text(params, "status")?.toLowerCase();
  const since = text(params, "since");
  if (since) f.since = parseTime("since", since, now);
  const until = text(params, "until");
  if (until) f.until = parseTime("until", until, now);
  f.q = text(params, "q")?.toLowerCase();
  for (const k of Object.keys(f) as (keyof EventFilter)[]) if (f[k] === undefined) delete f[k];
  return f;
}

function field(ev: ConsoleEvent, key: string): string | undefined {
  const v = ev.event.output_fields[key];
  return v === undefined || v === null ? undefined : String(v);
}

/** Whether the free text appears (any case) in what the timeline shows of the event. */
function hasText(ev: ConsoleEvent, q: string): boolean {
  const has = (s: string | undefined) => s?.toLowerCase().includes(q) === true;
  const e = ev.event;
  if (has(e.output) || has(e.rule) || has(e.hostname) || has(e.priority) || has(ev.id) || has(ev.trace_id))
    return true;
  if (e.tags.some(has)) return true;
  for (const v of Object.values(e.output_fields)) if (v !== null && has(String(v))) return true;
  if (ev.matches.some((m) => has(m.rule))) return true;
  return ev.actions.some(
    (a) =>
      has(a.action) ||
      has(a.actionner) ||
      has(a.target) ||
      has(a.error) ||
      has(a.plan) ||
      has(a.action_id) ||
      Object.values(a.objects ?? {}).some(has),
  );
}

export function matchesFilter(ev: ConsoleEvent, f: EventFilter): boolean {
  if (f.priorities && !f.priorities.has(ev.event.priority.toLowerCase())) return false;
  if (f.falcoRule !== undefined && ev.event.rule !== f.falcoRule) return false;
  if (f.rule !== undefined && !ev.matches.some((m) => m.rule === f.rule)) return false;
  if (f.namespace !== undefined && field(ev, "k8s.ns.name") !== f.namespace) return false;
  if (f.pod !== undefined && field(ev, "k8s.pod.name") !== f.pod) return false;
  if (f.actionner !== undefined && !ev.actions.some((a) => a.actionner === f.actionner)) return false;
  if (f.status !== undefined && !ev.actions.some((a) => a.status.toLowerCase() === f.status)) return false;
  if (f.since !== undefined || f.until !== undefined) {
    const t = Date.parse(ev.received_at);
    if (f.since !== undefined && !(t >= f.since)) return false;
    if (f.until !== undefined && !(t < f.until)) return false;
  }
  if (f.q !== undefined && !hasText(ev, f.q)) return false;
  return true;
}
