/** The pipeline's spans with attributes (Talon's names), and marking a span failed. */
import { type Context, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { errorText } from "../error-text.js";
import type { FalcoEvent } from "../events/event.js";
import type { Actionner } from "../plugins/types.js";
import type { Action, Rule } from "../rules/types.js";

/** Marks a span failed with the error text, as an Error status and an exception event. */
export function failSpan(span: Span, err: unknown): void {
  const message = err === undefined ? "failed" : errorText(err);
  span.recordException(err instanceof Error ? err : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Talon's `match` span: one per matching rule, ended at once; the rule's steps are its children. */
export function matchSpan(tracer: Tracer, event: FalcoEvent, rule: Rule, eventContext: Context): Span {
  const span = tracer.startSpan(
    "match",
    {
      attributes: {
        "event.rule": event.rule,
        "event.output": event.output,
        "event.source": event.source,
        "event.trace_id": event.trace_id,
        "rule.name": rule.name,
        "rule.description": rule.description,
      },
    },
    eventContext,
  );
  span.setStatus({ code: SpanStatusCode.OK, message: "match detected" });
  span.end();
  return span;
}

/** The `action` span around an actionner's run, its report and its output step. */
export function startActionSpan(tracer: Tracer, action: Action, actionner: Actionner, parent: Context): Span {
  const category = actionner.info.category;
  return tracer.startSpan(
    "action",
    {
      attributes: {
        "action.name": action.name,
        "action.actionner": action.actionner,
        "action.description": action.description,
        "action.continue": action.continue ?? actionner.info.continue,
        "action.ignore_errors": action.ignoreErrors ?? false,
        // Talon's literal attribute key, kept for dashboards built on it.
        "actionner.Information().Category": category,
        "actionner.category": category,
        "actionner.name": actionner.info.name,
      },
    },
    parent,
  );
}
