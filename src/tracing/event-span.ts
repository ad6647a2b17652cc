/**
 * The `event` span (talon.md §9.2): one per received Falco event. Its trace id becomes the
 * event's `trace_id`, the id logs, notifications and audit entries carry.
 */
import { type Context, type HrTime, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { type FalcoEvent, JsonNumber } from "../events/event.js";
import { stringifyJsonExact } from "../events/json.js";

/** Go's `%v` of a decoded JSON value, close enough for attribute values. */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (value instanceof JsonNumber) return value.raw;
  if (typeof value === "object") return stringifyJsonExact(value);
  return String(value);
}

/** The event time with its nanoseconds (RFC3339 text), or undefined when absent or unreadable. */
export function eventHrTime(time: string): HrTime | undefined {
  if (time === "") return undefined;
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return undefined;
  const fraction = /T\d{2}:\d{2}:\d{2}\.(\d+)/.exec(time)?.[1] ?? "";
  const nanos = Number(fraction.slice(0, 9).padEnd(9, "0"));
  return [Math.floor(ms / 1000), nanos];
}

/** The event as Talon serialises it (its `String()`): no engine-internal id. */
export function eventJson(event: FalcoEvent): string {
  return stringifyJsonExact({
    output: event.output,
    priority: event.priority,
    rule: event.rule,
    hostname: event.hostname,
    time: event.time,
    source: event.source,
    output_fields: event.output_fields,
    context: event.context,
    tags: event.tags,
    trace_id: event.trace_id,
  });
}

/**
 * Starts the `event` span under `parent` (the HTTP server span or a remote parent) and sets
 * `event.trace_id` to its trace id. The caller ends the span once the event is queued.
 */
export function startEventSpan(tracer: Tracer, event: FalcoEvent, parent: Context): Span {
  const span = tracer.startSpan(
    "event",
    {
      attributes: {
        "event.rule": event.rule,
        "event.source": event.source,
        "event.priority": event.priority,
        "event.output": event.output,
        "event.tags": event.tags,
      },
    },
    parent,
  );
  event.trace_id = span.spanContext().traceId;
  // Traces off: the span only provides the ids, so skip the per-event serialisation.
  if (!span.isRecording()) return span;
  for (const [k, v] of Object.entries(event.output_fields)) {
    span.setAttribute(`event.output_fields["${k}"]`, fieldText(v));
  }
  span.addEvent(eventJson(event), eventHrTime(event.time));
  span.setAttribute("event.traceid", event.trace_id);
  span.setStatus({ code: SpanStatusCode.OK, message: "event received" });
  return span;
}
