import type { FalcoEvent } from "./event.js";
import { stringifyJsonExact } from "./json.js";

/**
 * The event as Talon serialises it (its `String()`): the Falco fields plus context and
 * trace id, numbers exact, no engine-internal id. Talon sends it to Lambda and Cloud
 * Functions and records it in the `event` span.
 */
export function talonEventJson(event: FalcoEvent): string {
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
