/**
 * The `event` span, as Talon names it: one per received Falco event. Its trace id becomes the
 * event's `trace_id`, the id logs, notifications and audit entries carry.
 */
import { type Context, type HrTime, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { FalcoEvent } from "../events/event.js";
import { fieldText } from "../events/fields.js";
import { talonEventJson } from "../events/talon-json.js";

/** The event time with its nanoseconds (RFC3339 text), or undefined when absent or unreadable. */
export function eventHrTime(time: string): HrTime | undefined {
  if (time === "") return undefined;
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return undefined;
  const fraction = /T\d{2}:\d{2}:\d{2}\.(\d+)/.exec(time)?.[1] ?? "";
  const nanos = Number(fraction.slice(0, 9).padEnd(9, "0"));
  return [Math.floor(ms / 1000), nanos];
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
  span.addEvent(talonEventJson(event), eventHrTime(event.time));
  span.setAttribute("event.traceid", event.trace_id);
  span.setStatus({ code: SpanStatusCode.OK, message: "event received" });
  return span;
}
