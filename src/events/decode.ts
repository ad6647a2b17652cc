/**
 * Decoding a Falco (or Falcosidekick `talon` output) payload into a FalcoEvent.
 */

import { randomUUID } from "node:crypto";
import { errorText } from "../error-text.js";
import type { FalcoEvent } from "./event.js";
import { parseJsonExact } from "./json.js";

export class EventDecodeError extends Error {}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

// Falco's text prefix "hh:mm:ss.nnnnnnnnn: Priority ". Longest names first and a word
// boundary, so "Informational" is removed whole (Talon's leftmost-first bug left "rmational").
const PREFIX_RE =
  /^\d{2}:\d{2}:\d{2}\.\d{9}: (?:Emergency|Alert|Critical|Error|Warning|Notice|Informational|Info|Debug)(?![A-Za-z]) ?/i;

export function cleanOutput(output: string): string {
  return output.replace(PREFIX_RE, "");
}

function str(v: unknown, key: string): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "string") throw new EventDecodeError(`field '${key}' must be a string`);
  return v;
}

function obj(v: unknown, key: string): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  if (typeof v !== "object" || Array.isArray(v))
    throw new EventDecodeError(`field '${key}' must be an object`);
  return v as Record<string, unknown>;
}

/** Decodes an already-parsed JSON value. Keys are matched case-insensitively; unknown keys are ignored. */
export function decodeEventValue(value: unknown): FalcoEvent {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new EventDecodeError("the body must be a JSON object");
  }
  const fields = new Map<string, unknown>();
  for (const [k, v] of Object.entries(value)) fields.set(k.toLowerCase(), v);

  const time = str(fields.get("time"), "time");
  if (time !== "" && !RFC3339.test(time))
    throw new EventDecodeError(`field 'time' is not RFC3339: '${time}'`);

  const rawTags = fields.get("tags");
  let tags: string[] = [];
  if (rawTags !== null && rawTags !== undefined) {
    if (!Array.isArray(rawTags) || rawTags.some((t) => typeof t !== "string")) {
      throw new EventDecodeError("field 'tags' must be an array of strings");
    }
    tags = rawTags as string[];
  }

  return {
    id: randomUUID(),
    output: cleanOutput(str(fields.get("output"), "output")),
    priority: str(fields.get("priority"), "priority"),
    rule: str(fields.get("rule"), "rule"),
    hostname: str(fields.get("hostname"), "hostname"),
    time,
    source: str(fields.get("source"), "source") || "syscall",
    output_fields: obj(fields.get("output_fields"), "output_fields"),
    tags,
    context: obj(fields.get("context"), "context"),
    trace_id: "",
  };
}

/** Decodes a request body. Throws EventDecodeError with the reason. */
export function decodeEvent(body: string): FalcoEvent {
  let value: unknown;
  try {
    value = parseJsonExact(body);
  } catch (err) {
    throw new EventDecodeError(`invalid JSON: ${errorText(err)}`);
  }
  return decodeEventValue(value);
}
