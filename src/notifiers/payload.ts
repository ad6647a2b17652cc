/** Renderings of a Notification shared by notifiers. */
import type { Notification } from "../plugins/types.js";

/** Talon's LogLine JSON key order. */
const JSON_KEYS = [
  "time",
  "objects",
  "trace_id",
  "rule",
  "event",
  "message",
  "priority",
  "source",
  "result",
  "notifier",
  "context",
  "output",
  "category",
  "output_name",
  "output_target",
  "actionner",
  "action",
  "error",
  "status",
  "stage",
] as const;

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (typeof v === "object") return Object.keys(v as object).length === 0;
  return false;
}

/** The LogLine as Talon serialises it: fixed key order, empty values omitted. */
export function notificationJson(n: Notification): Record<string, unknown> {
  const source = n as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of JSON_KEYS) if (!isEmpty(source[k])) out[k] = source[k];
  return out;
}

/** Object entries sorted by key, so renderings are stable. */
export function sortedObjects(objects: Record<string, string>): [string, string][] {
  return Object.entries(objects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Drops terminal control sequences and control characters except newline and tab. */
export function removeSpecialCharacters(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

/** Where Talon's plain-text renderings differ: smtp's body and k8sevents' Event message. */
export interface TextLayout {
  /** The trace id's label: `Trace ID` (smtp) or `TraceID` (k8sevents). */
  traceLabel: string;
  /** The output on the lines below `Output:` (smtp), or after it on the same line (k8sevents). */
  outputBelow: boolean;
}

/**
 * Talon's plain-text rendering of a notification: Status, Message, Rule, Action, Actionner,
 * Event, one line per object, Error, Result, Output, OutputTarget, trace id; empty values
 * skipped, lines joined by newlines (none at the end).
 */
export function notificationText(n: Notification, layout: TextLayout): string {
  const lines: string[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== "") lines.push(`${label}: ${value}`);
  };
  add("Status", n.status);
  add("Message", n.message);
  add("Rule", n.rule);
  add("Action", n.action);
  add("Actionner", n.actionner);
  add("Event", n.event);
  for (const [k, v] of sortedObjects(n.objects ?? {})) add(k, v);
  add("Error", n.error);
  add("Result", n.result);
  if (n.output) {
    const output = removeSpecialCharacters(n.output);
    if (layout.outputBelow) lines.push(`Output:\n${output}`);
    else add("Output", output);
  }
  add("OutputTarget", n.output_target);
  add(layout.traceLabel, n.trace_id);
  return lines.join("\n");
}
