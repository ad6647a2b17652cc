/**
 * Building console events from audit entries (or the records the pipeline reports live): an
 * `event` entry gives the event and its rules, `action`/`output` entries an attempt and its
 * artifact, `revert` entries the undoing of an action. The same folding serves the live buffer
 * (src/console/feed.ts) and the history read back from the audit trail (src/console/history.ts).
 */
import type { AuditEntry, AuditedEvent, AuditRecord } from "../audit/log.js";
import type { ConsoleAction, ConsoleEvent, ConsoleOutput } from "./types.js";

/** The download link of a `local:file` artifact: its file name under /ui/api/artifacts/. */
export function downloadLink(actionId: string, file: string): string {
  const name = file.slice(file.lastIndexOf("/") + 1);
  return `/ui/api/artifacts/${encodeURIComponent(actionId)}/${encodeURIComponent(name)}`;
}

/** An event entry's event, or an empty one when only its actions are known. */
export function emptyReceived(rule = ""): AuditedEvent {
  return { output: "", priority: "", rule, hostname: "", time: "", source: "", output_fields: {}, tags: [] };
}

/** A console event shell (no matches, no actions yet). */
export function newConsoleEvent(
  id: string,
  receivedAt: string,
  replica: string,
  traceId?: string,
): ConsoleEvent {
  return {
    id,
    ...(traceId ? { trace_id: traceId } : {}),
    received_at: receivedAt,
    replica,
    event: emptyReceived(),
    matches: [],
    actions: [],
  };
}

type Record_ = AuditRecord & { time?: string; replica?: string };

function findAction(ev: ConsoleEvent, r: Record_): ConsoleAction | undefined {
  return ev.actions.find((a) =>
    r.action_id ? a.action_id === r.action_id : a.rule === r.rule && a.action === r.action,
  );
}

/** Applies an action, output or revert record to its event (event records are the caller's). */
export function applyRecord(ev: ConsoleEvent, r: Record_, time: string): void {
  if (r.message === "action") {
    const existing = findAction(ev, r);
    const a: ConsoleAction = {
      ...(r.action_id ? { action_id: r.action_id } : {}),
      rule: r.rule,
      action: r.action,
      actionner: r.actionner,
      target: r.target,
      status: r.status,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.stage ? { stage: r.stage } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(r.plan ? { plan: r.plan } : {}),
      ...(r.objects && Object.keys(r.objects).length > 0 ? { objects: r.objects } : {}),
      ...(r.details ? { details: r.details } : {}),
      time,
      ...(existing?.duration_ms !== undefined ? { duration_ms: existing.duration_ms } : {}),
      outputs: existing?.outputs ?? [],
      notifications: existing?.notifications ?? [],
      reversible: r.undo !== undefined && Object.keys(r.undo).length > 0,
      ...(r.revert_at ? { revert_at: r.revert_at } : {}),
      ...(existing?.reverted ? { reverted: existing.reverted } : {}),
    };
    if (existing) ev.actions[ev.actions.indexOf(existing)] = a;
    else ev.actions.push(a);
    return;
  }
  if (r.message === "output") {
    const a = findAction(ev, r);
    if (!a) return;
    const target = r.output_target ?? "";
    const objects = r.objects ?? {};
    const out: ConsoleOutput = {
      target,
      status: r.status,
      ...(r.error ? { error: r.error } : {}),
      objects,
    };
    if (target === "local:file" && r.status === "success" && objects.destination && a.action_id)
      out.download = downloadLink(a.action_id, objects.destination);
    const i = a.outputs.findIndex((o) => o.target === target);
    if (i >= 0) a.outputs[i] = out;
    else a.outputs.push(out);
    return;
  }
  if (r.message === "revert") {
    // A dry-run revert changes nothing: not shown as the action's revert.
    if (r.reason === "dry_run") return;
    const a = findAction(ev, r);
    if (!a) return;
    a.reverted = {
      time,
      trigger: r.trigger ?? "",
      status: r.status,
      ...(r.conflicts && r.conflicts.length > 0 ? { conflicts: r.conflicts } : {}),
    };
  }
}

/** Folds audit entries (oldest first) into console events by event id. */
export function foldEntries(entries: Iterable<AuditEntry>): Map<string, ConsoleEvent> {
  const events = new Map<string, ConsoleEvent>();
  for (const e of entries) {
    if (typeof e.event_id !== "string" || e.event_id === "") continue;
    let ev = events.get(e.event_id);
    if (!ev) {
      ev = newConsoleEvent(e.event_id, e.time, e.replica, e.trace_id);
      events.set(e.event_id, ev);
    }
    if (e.message === "event") {
      ev.received_at = e.time;
      ev.replica = e.replica;
      if (e.event && typeof e.event === "object") ev.event = { ...emptyReceived(), ...e.event };
      if (Array.isArray(e.rules)) ev.matches = e.rules.map((rule) => ({ rule: String(rule), reasons: [] }));
      continue;
    }
    // Entries written before event entries existed: the rules are those that acted.
    if (e.message === "action" && !ev.matches.some((m) => m.rule === e.rule))
      ev.matches.push({ rule: e.rule, reasons: [] });
    applyRecord(ev, e, e.time);
  }
  return events;
}
