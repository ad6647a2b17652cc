/**
 * OpenTelemetry traces (`otel.*` in the config). One tracer provider per engine, handed to the HTTP
 * intake and the pipeline as a `Tracer`; nothing is registered globally, so contexts are
 * passed explicitly and carried between processes as W3C `traceparent`/`baggage` headers.
 *
 * With `otel.traces_enabled` off, spans are not recorded, yet still get real trace ids (the
 * `trace_id` of logs and notifications), from the light IdOnlyTracer instead of the SDK.
 */
import { createRequire } from "node:module";
import { hostname } from "node:os";
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type TextMapPropagator,
  type Tracer,
} from "@opentelemetry/api";
import type * as OtelCore from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "@opentelemetry/semantic-conventions";
import type { Config } from "../config/schema.js";
import { once } from "../once.js";
import { BUILD } from "../version.js";
import { IdOnlyTracer } from "./id-tracer.js";

/** The instrumentation scope name of every span (Talon's tracer name). */
export const TRACER_NAME = "falco-talon";

export interface TracingOptions {
  /** Export spans over OTLP/gRPC; when false spans only provide trace ids. */
  enabled: boolean;
  /** Collector host name or IP, without scheme or port. */
  endpoint: string;
  port: number;
  /** Plaintext gRPC instead of TLS. */
  insecure: boolean;
  /** Deadline of one OTLP export request. */
  timeoutSeconds: number;
  /** Time between batch exports; Talon's 5 s. */
  batchDelayMs?: number;
  /** Resource `service.instance.id`; the host name by default. */
  instanceId?: string;
  /** Called with a readable reason when an export fails (spans of that batch are dropped). */
  onExportError?: (message: string) => void;
}

export interface Tracing {
  readonly tracer: Tracer;
  readonly enabled: boolean;
  /** Exports what is buffered now (no-op when disabled). */
  forceFlush(): Promise<void>;
  /** Exports what is buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

export function tracingOptionsFromConfig(config: Config): TracingOptions {
  const otel = config.otel;
  return {
    enabled: otel.traces_enabled,
    endpoint: otel.collector_endpoint,
    port: otel.collector_port,
    insecure: otel.collector_use_insecure_grpc,
    timeoutSeconds: otel.timeout,
  };
}

/** The OTLP/gRPC URL; the exporter picks plaintext for http:// and TLS for https://. */
export function collectorUrl(opts: Pick<TracingOptions, "endpoint" | "port" | "insecure">): string {
  const host = opts.endpoint.trim();
  if (host === "") throw new Error("otel.collector_endpoint is empty");
  if (host.includes("://") || host.includes("/")) {
    throw new Error(
      `otel.collector_endpoint '${host}' must be a host name or IP address, without scheme, port or path`,
    );
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
    throw new Error(`otel.collector_port ${opts.port} is not a TCP port`);
  }
  // A bare IPv6 address needs brackets before the port.
  const authority = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${opts.insecure ? "http" : "https"}://${authority}:${opts.port}`;
}

/** Passes spans to the OTLP exporter and reports failed exports instead of dropping them silently. */
class ReportingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onError: (message: string) => void,
  ) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code !== otelCore().ExportResultCode.SUCCESS) {
        this.onError(`${spans.length} span(s) not exported: ${result.error?.message ?? "unknown error"}`);
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * The tracing SDK, the resource helpers and the OTLP/gRPC exporter (with gRPC) are only loaded
 * when traces are exported.
 */
export async function createTracing(opts: TracingOptions): Promise<Tracing> {
  if (!opts.enabled) {
    return {
      tracer: new IdOnlyTracer(),
      enabled: false,
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }
  const url = collectorUrl(opts);
  const [{ OTLPTraceExporter }, { BasicTracerProvider, BatchSpanProcessor }, { resourceFromAttributes }] =
    await Promise.all([
      import("@opentelemetry/exporter-trace-otlp-grpc"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/resources"),
    ]);
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: "falco-talon",
    [ATTR_SERVICE_VERSION]: BUILD.GitVersion,
    [ATTR_SERVICE_INSTANCE_ID]: opts.instanceId ?? hostname(),
  });
  const exporter = new OTLPTraceExporter({
    url,
    timeoutMillis: opts.timeoutSeconds * 1000,
  });
  const spanProcessors = [
    new BatchSpanProcessor(new ReportingExporter(exporter, opts.onExportError ?? (() => {})), {
      scheduledDelayMillis: opts.batchDelayMs ?? 5000,
      exportTimeoutMillis: 30_000,
    }),
  ];
  const provider = new BasicTracerProvider({ resource, spanProcessors });
  return {
    tracer: provider.getTracer(TRACER_NAME, BUILD.GitVersion),
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** A tracer that exports nothing, for engines built without a Tracing (tests, tools). */
export function noExportTracer(): Tracer {
  return new IdOnlyTracer();
}

/**
 * @opentelemetry/core (~3 MiB with its own copy of the semantic conventions), loaded on first use:
 * the propagators below, or the exporter. It is CommonJS, so a synchronous require gives the
 * module an import would.
 */
const otelCore = once((): typeof OtelCore => createRequire(import.meta.url)("@opentelemetry/core"));

/** W3C TraceContext + Baggage, as Talon. Stateless, so one shared instance is safe. */
const propagator = once((): TextMapPropagator => {
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = otelCore();
  return new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
});

/** Propagation headers (`traceparent`, `tracestate`, `baggage`) of a context. */
export type TraceHeaders = Record<string, string>;

export function injectTraceHeaders(ctx: Context): TraceHeaders {
  const headers: TraceHeaders = {};
  propagator().inject(ctx, headers, defaultTextMapSetter);
  return headers;
}

/**
 * The remote parent carried by headers (HTTP request headers, NATS headers), or the root
 * context when there is none. Header names must be lowercase, as Node's are.
 */
export function extractTraceContext(
  headers: Record<string, string | string[] | undefined> | undefined,
): Context {
  // Most requests carry neither header: skip the propagators' parsing.
  if (!headers || (headers.traceparent === undefined && headers.baggage === undefined)) return ROOT_CONTEXT;
  return propagator().extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}
