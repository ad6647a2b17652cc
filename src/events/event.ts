/**
 * The Falco event as the engine sees it after intake.
 * `output_fields` values are kept as decoded from JSON, except that numbers whose
 * text would not survive a JS round trip are kept as {@link JsonNumber} (exact text).
 */
export class JsonNumber {
  constructor(readonly raw: string) {}
  toString(): string {
    return this.raw;
  }
  valueOf(): number {
    return Number(this.raw);
  }
}

export interface FalcoEvent {
  /** Engine-assigned id (uuid v4), used for audit, idempotency and logs. */
  id: string;
  /** Output text with Falco's "hh:mm:ss.nnnnnnnnn: Priority " prefix removed. */
  output: string;
  priority: string;
  rule: string;
  hostname: string;
  /** RFC3339 text as sent, or "" when absent. */
  time: string;
  /** Defaults to "syscall" when empty. */
  source: string;
  output_fields: Record<string, unknown>;
  tags: string[];
  context: Record<string, unknown>;
  trace_id: string;
}

/** The event as Falco sent it: its fields without the engine's id, context and trace id. */
export type ReceivedEvent = Pick<
  FalcoEvent,
  "output" | "priority" | "rule" | "hostname" | "time" | "source" | "output_fields" | "tags"
>;

export function receivedFields(event: FalcoEvent): ReceivedEvent {
  return {
    output: event.output,
    priority: event.priority,
    rule: event.rule,
    hostname: event.hostname,
    time: event.time,
    source: event.source,
    output_fields: event.output_fields,
    tags: event.tags,
  };
}
