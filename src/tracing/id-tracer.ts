/**
 * The tracer used when traces are not exported. Spans then only carry ids: the event's
 * `trace_id` that logs, notifications and audit entries show, and the `traceparent` passed
 * between replicas. This gives the ids the SDK's never-sampling provider gives (a child keeps
 * its parent's trace id, a root gets a new random one; flags "not sampled") without the
 * SDK's per-span work, which showed in the intake profile.
 */
import { randomFillSync } from "node:crypto";
import {
  type Context,
  isSpanContextValid,
  type Span,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";

const INVALID_TRACE_ID = "0".repeat(32);
const INVALID_SPAN_ID = "0".repeat(16);

export class IdOnlyTracer implements Tracer {
  /** Random bytes drawn in bulk; ids are cut from it. */
  private readonly pool = Buffer.allocUnsafe(4096);
  private offset = this.pool.length;

  startSpan(_name: string, _options?: SpanOptions, context?: Context): Span {
    const parent = context ? trace.getSpanContext(context) : undefined;
    const traceId =
      parent && isSpanContextValid(parent) ? parent.traceId : this.randomHex(16, INVALID_TRACE_ID);
    return trace.wrapSpanContext({
      traceId,
      spanId: this.randomHex(8, INVALID_SPAN_ID),
      traceFlags: TraceFlags.NONE,
    });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    // (name, fn) | (name, options, fn) | (name, options, context, fn)
    const fn = rest.at(-1) as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const context = rest.length > 2 ? (rest[1] as Context) : undefined;
    return fn(this.startSpan(name, options, context)) as ReturnType<F>;
  }

  private randomHex(bytes: number, invalid: string): string {
    for (;;) {
      if (this.offset + bytes > this.pool.length) {
        randomFillSync(this.pool);
        this.offset = 0;
      }
      const hex = this.pool.toString("hex", this.offset, this.offset + bytes);
      this.offset += bytes;
      if (hex !== invalid) return hex;
    }
  }
}
