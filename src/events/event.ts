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
