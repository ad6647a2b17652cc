import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSpanContextValid, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { IdOnlyTracer } from "./id-tracer.js";
import { extractTraceContext, injectTraceHeaders } from "./tracing.js";

describe("IdOnlyTracer", () => {
  const tracer = new IdOnlyTracer();

  test("a root span gets a new valid, unsampled id pair; ids do not repeat", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const span = tracer.startSpan("event", {}, ROOT_CONTEXT);
      const ctx = span.spanContext();
      assert.ok(isSpanContextValid(ctx));
      assert.match(ctx.traceId, /^[0-9a-f]{32}$/);
      assert.match(ctx.spanId, /^[0-9a-f]{16}$/);
      assert.equal(ctx.traceFlags, TraceFlags.NONE);
      assert.equal(span.isRecording(), false);
      assert.ok(!seen.has(ctx.traceId));
      seen.add(ctx.traceId);
    }
  });

  test("a child keeps its parent's trace id, local or remote, with a span id of its own", () => {
    const parent = tracer.startSpan("/", {}, ROOT_CONTEXT);
    const child = tracer.startSpan("event", {}, trace.setSpan(ROOT_CONTEXT, parent));
    assert.equal(child.spanContext().traceId, parent.spanContext().traceId);
    assert.notEqual(child.spanContext().spanId, parent.spanContext().spanId);

    const remote = extractTraceContext({
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    const fromRemote = tracer.startSpan("event", {}, remote);
    assert.equal(fromRemote.spanContext().traceId, "0af7651916cd43dd8448eb211c80319c");
    // Passed on to the next hop as not sampled, like the SDK's never-sampling provider.
    const headers = injectTraceHeaders(trace.setSpan(ROOT_CONTEXT, fromRemote));
    assert.match(headers.traceparent ?? "", /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  });

  test("startActiveSpan runs the callback with a span, whatever the overload", () => {
    assert.equal(
      tracer.startActiveSpan("a", (s) => s.isRecording()),
      false,
    );
    assert.equal(
      tracer.startActiveSpan("a", {}, ROOT_CONTEXT, (s) => isSpanContextValid(s.spanContext())),
      true,
    );
  });
});
