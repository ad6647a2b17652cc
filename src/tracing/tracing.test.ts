import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { decodeEvent } from "../events/decode.js";
import { eventHrTime, startEventSpan } from "./event-span.js";
import {
  collectorUrl,
  createTracing,
  extractTraceContext,
  injectTraceHeaders,
  noExportTracer,
} from "./tracing.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** A TCP port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("collector URL", () => {
  it("is plaintext http:// when insecure, TLS https:// otherwise", () => {
    assert.equal(
      collectorUrl({ endpoint: "otel.example", port: 4317, insecure: true }),
      "http://otel.example:4317",
    );
    assert.equal(
      collectorUrl({ endpoint: "otel.example", port: 4317, insecure: false }),
      "https://otel.example:4317",
    );
    assert.equal(collectorUrl({ endpoint: "::1", port: 4317, insecure: true }), "http://[::1]:4317");
  });

  it("refuses a scheme, a path, an empty host or a bad port with a clear error", () => {
    assert.throws(
      () => collectorUrl({ endpoint: "http://otel", port: 4317, insecure: true }),
      /must be a host name or IP address, without scheme/,
    );
    assert.throws(() => collectorUrl({ endpoint: "otel/v1", port: 4317, insecure: true }), /without scheme/);
    assert.throws(() => collectorUrl({ endpoint: " ", port: 4317, insecure: true }), /is empty/);
    assert.throws(() => collectorUrl({ endpoint: "otel", port: 70000, insecure: true }), /is not a TCP port/);
  });
});

describe("propagation", () => {
  it("extracts a W3C traceparent and injects it back with baggage", () => {
    const ctx = extractTraceContext({ traceparent: TRACEPARENT, baggage: "tenant=a" });
    const sc = trace.getSpanContext(ctx);
    assert.equal(sc?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(sc?.isRemote, true);
    assert.deepEqual(injectTraceHeaders(ctx), { traceparent: TRACEPARENT, baggage: "tenant=a" });
  });

  it("gives the root context for no or malformed headers", () => {
    assert.equal(extractTraceContext(undefined), ROOT_CONTEXT);
    assert.equal(trace.getSpanContext(extractTraceContext({ traceparent: "garbage" })), undefined);
  });
});

describe("event span", () => {
  const event = () => decodeEvent('{"rule":"r","output":"o","output_fields":{"k":1}}');

  it("gives the event a fresh 32-hex trace id when tracing is off, and records nothing", () => {
    const e = event();
    const span = startEventSpan(noExportTracer(), e, ROOT_CONTEXT);
    span.end();
    assert.match(e.trace_id, /^[0-9a-f]{32}$/);
    assert.notEqual(e.trace_id, "0".repeat(32));
    assert.equal(span.isRecording(), false);
    const other = event();
    startEventSpan(noExportTracer(), other, ROOT_CONTEXT).end();
    assert.notEqual(other.trace_id, e.trace_id);
  });

  it("continues the parent's trace", () => {
    const e = event();
    startEventSpan(noExportTracer(), e, extractTraceContext({ traceparent: TRACEPARENT })).end();
    assert.equal(e.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("reads the event time with nanoseconds and any offset", () => {
    assert.deepEqual(eventHrTime("2026-01-02T03:04:05.123456789Z"), [1767323045, 123456789]);
    assert.deepEqual(eventHrTime("2026-01-02T05:04:05.5+02:00"), [1767323045, 500000000]);
    assert.deepEqual(eventHrTime("2026-01-02T03:04:05Z"), [1767323045, 0]);
    assert.equal(eventHrTime(""), undefined);
  });
});

describe("export errors", () => {
  it("are reported, not swallowed, when the collector is unreachable", async () => {
    const errors: string[] = [];
    const tracing = await createTracing({
      enabled: true,
      endpoint: "127.0.0.1",
      port: await deadPort(),
      insecure: true,
      timeoutSeconds: 2,
      batchDelayMs: 50,
      onExportError: (m) => errors.push(m),
    });
    tracing.tracer.startSpan("lost").end();
    // forceFlush rejects with the export error too; the reporter is what the server logs.
    await assert.rejects(tracing.forceFlush(), /UNAVAILABLE/);
    await tracing.shutdown();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^1 span\(s\) not exported: /);
  });
});
