/**
 * The pipeline's spans (one per event, with a child per action and output, as Talon names them) as a collector receives them: the real OTLP/gRPC
 * exporter sends to an in-process gRPC receiver that decodes the protobuf requests. Runs
 * once with the in-process queue and once through NATS JetStream, where the trace context
 * has to travel in the message headers.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import { configSchema } from "../../src/config/schema.js";
import { decodeEvent } from "../../src/events/decode.js";
import { Metrics } from "../../src/metrics/metrics.js";
import localFile from "../../src/outputs/local/file/index.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import type { PluginLookup } from "../../src/plugins/lookup.js";
import type { Actionner, ContextProvider, Notification, Notifier, Output } from "../../src/plugins/types.js";
import type { JetStreamEventQueue } from "../../src/queue/jetstream.js";
import type { EventQueue } from "../../src/queue/types.js";
import { loadRulesFromSources } from "../../src/rules/index.js";
import { createTracing, extractTraceContext, type Tracing } from "../../src/tracing/tracing.js";
import { type NatsCluster, startNats, testQueueReplica } from "../support/nats.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN_ID = "00f067aa0ba902b7";

function actionner(
  name: string,
  opts: Partial<Actionner> & { useContext?: boolean; requireOutput?: boolean },
) {
  return {
    info: {
      category: "tests",
      name,
      description: "test actionner",
      source: "any",
      continue: true,
      useContext: opts.useContext ?? false,
      allowOutput: false,
      requireOutput: opts.requireOutput ?? false,
      requiredOutputFields: [],
      permissions: {},
      example: "",
    },
    parameters: z.object({}).loose(),
    checks: opts.checks ?? (async () => {}),
    run:
      opts.run ??
      (async () => ({ status: "success" as const, output: `${name} done`, objects: { pod: "nginx" } })),
  } satisfies Actionner;
}

const RULES = (dir: string) => `
- rule: Capture shells
  description: captures and labels
  actions:
    - action: Enrich
      description: with the node context
      actionner: tests:ctx
      additional_contexts: [testctx]
    - action: Capture
      actionner: tests:capture
      ignore_errors: true
      output:
        target: local:file
        parameters:
          destination: ${dir}

- rule: Refused
  actions:
    - action: Checked
      actionner: tests:badcheck
`;

interface Run {
  spans: ReceivedSpan[];
  logs: Record<string, unknown>[];
  notifications: Notification[];
}

async function runPipeline(receiver: OtlpReceiver, queue?: EventQueue): Promise<Run> {
  const logs: Record<string, unknown>[] = [];
  const notifications: Notification[] = [];
  const notifier: Notifier = {
    info: { name: "recorder", description: "", permissions: {}, example: "" },
    parameters: z.object({}).loose(),
    send: async (n) => {
      notifications.push(n);
    },
  };
  const context: ContextProvider = {
    info: { name: "testctx", description: "", permissions: {} },
    fetch: async () => ({ "Node.Hostname": "node-1" }),
  };
  const actionners = [
    actionner("ctx", { useContext: true }),
    actionner("capture", {
      requireOutput: true,
      run: async () => ({
        status: "success",
        output: "captured",
        objects: { pod: "nginx", namespace: "default" },
        data: { name: "capture.txt", objects: { pod: "nginx" }, bytes: Buffer.from("evidence") },
      }),
    }),
    actionner("badcheck", {
      checks: async () => {
        throw new Error("the pod is gone");
      },
    }),
  ];
  const plugins: PluginLookup = {
    findActionner: (n) => actionners.find((a) => `tests:${a.info.name}` === n),
    findOutput: (n) => (n === "local:file" ? (localFile as Output) : undefined),
    findNotifier: (n) => (n === "recorder" ? notifier : undefined),
    findContext: (n) => (n === "testctx" ? context : undefined),
  };
  const loaded = loadRulesFromSources([
    { file: "rules.yaml", text: RULES(mkdtempSync(join(tmpdir(), "otel-artifacts-"))) },
  ]);
  assert.deepEqual(loaded.problems, []);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const tracing: Tracing = await createTracing({
    enabled: true,
    endpoint: receiver.host,
    port: receiver.port,
    insecure: true,
    timeoutSeconds: 10,
    batchDelayMs: 100,
    instanceId: "test-instance",
  });
  const pipeline = new Pipeline({
    config: configSchema.parse({ default_notifiers: ["recorder"] }),
    logger: pino({ messageKey: "message" }, sink),
    metrics: new Metrics(),
    rules: () => loaded.ruleset!,
    kube: async () => {
      throw new Error("no cluster needed");
    },
    plugins,
    queue,
    tracer: tracing.tracer,
  });
  const before = receiver.spans.length;
  const event = decodeEvent(
    JSON.stringify({
      rule: "Terminal shell in container",
      priority: "Warning",
      source: "syscall",
      time: "2026-01-02T03:04:05.123456789Z",
      output: "A shell was spawned in nginx",
      output_fields: { "k8s.pod.name": "nginx", "k8s.ns.name": "default", "proc.pid": 42 },
      tags: ["shell", "mitre_execution"],
    }),
  );
  const parent = extractTraceContext({ traceparent: `00-${TRACE_ID}-${REMOTE_SPAN_ID}-01` });
  assert.equal(await pipeline.accept(event, parent), "queued");
  // Wait for the whole run (the notification of the output is the last step) before stopping.
  const expected = 1 + 2 + 1 + 3 + 2 + 1 + 3; // event, match×2, context, checks×3, action×2, output, notification×3
  const flushUntilAll = async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      await tracing.forceFlush();
      if (receiver.spans.length - before >= expected) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await flushUntilAll();
  assert.equal(await pipeline.stop(5000), true);
  await tracing.shutdown();
  return { spans: receiver.spans.slice(before), logs, notifications };
}

function checkSpans(run: Run): void {
  const { spans } = run;
  const names = spans.map((s) => s.name).sort();
  assert.deepEqual(names, [
    "action",
    "action",
    "checks",
    "checks",
    "checks",
    "context",
    "event",
    "match",
    "match",
    "notification",
    "notification",
    "notification",
    "output",
  ]);
  for (const s of spans) {
    assert.equal(s.traceId, TRACE_ID, `${s.name} is in the caller's trace`);
    assert.equal(s.resource["service.name"], "falco-talon");
    assert.equal(s.resource["service.instance.id"], "test-instance");
    assert.equal(typeof s.resource["service.version"], "string");
    assert.equal(s.scope.name, "falco-talon");
  }
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parentName = (s: ReceivedSpan) => byId.get(s.parentSpanId)?.name;
  const one = (name: string, pred: (s: ReceivedSpan) => boolean = () => true) => {
    const found = spans.filter((s) => s.name === name && pred(s));
    assert.equal(found.length, 1, `one ${name} span`);
    return found[0]!;
  };

  const event = one("event");
  assert.equal(event.parentSpanId, REMOTE_SPAN_ID, "event continues the remote parent");
  assert.equal(event.attributes["event.rule"], "Terminal shell in container");
  assert.equal(event.attributes["event.source"], "syscall");
  assert.equal(event.attributes["event.priority"], "Warning");
  assert.equal(event.attributes["event.output"], "A shell was spawned in nginx");
  assert.deepEqual(event.attributes["event.tags"], ["shell", "mitre_execution"]);
  assert.equal(event.attributes['event.output_fields["k8s.pod.name"]'], "nginx");
  assert.equal(event.attributes['event.output_fields["proc.pid"]'], "42");
  assert.equal(event.attributes["event.traceid"], TRACE_ID);
  // Ok; the SDKs (Go's too) drop the description of a non-error status ("event received").
  assert.equal(event.status.code, 1);
  assert.equal(event.events.length, 1);
  const received = JSON.parse(event.events[0]!.name) as Record<string, unknown>;
  assert.equal(received.rule, "Terminal shell in container");
  assert.equal(received.trace_id, TRACE_ID);
  assert.equal(event.events[0]!.timeUnixNano, 1767323045123456789n, "span event at the event time");

  const match = one("match", (s) => s.attributes["rule.name"] === "Capture shells");
  assert.equal(match.parentSpanId, event.spanId);
  assert.equal(match.attributes["rule.description"], "captures and labels");
  assert.equal(match.attributes["event.trace_id"], TRACE_ID);
  assert.equal(match.attributes["event.output"], "A shell was spawned in nginx");
  assert.equal(match.status.code, 1);
  const refused = one("match", (s) => s.attributes["rule.name"] === "Refused");
  assert.equal(refused.parentSpanId, event.spanId);

  const context = one("context");
  assert.equal(context.parentSpanId, match.spanId);
  assert.equal(context.attributes["context.source"], "testctx");
  assert.equal(context.attributes["node.hostname"], "node-1", "returned keys, lowercased");

  const checks = spans.filter((s) => s.name === "checks");
  assert.equal(checks.filter((s) => s.parentSpanId === match.spanId && s.status.code === 1).length, 2);
  for (const c of checks.filter((s) => s.parentSpanId === match.spanId)) {
    assert.deepEqual(
      c.events.map((e) => e.name),
      ["all checks passed"],
    );
  }
  const failedCheck = one("checks", (s) => s.parentSpanId === refused.spanId);
  assert.deepEqual(failedCheck.status, { code: 2, message: "the pod is gone" });

  const enrich = one("action", (s) => s.attributes["action.name"] === "Enrich");
  assert.equal(enrich.parentSpanId, match.spanId);
  assert.equal(enrich.attributes["action.actionner"], "tests:ctx");
  assert.equal(enrich.attributes["action.description"], "with the node context");
  assert.equal(enrich.attributes["action.continue"], true);
  assert.equal(enrich.attributes["action.ignore_errors"], false);
  assert.equal(enrich.attributes["actionner.name"], "ctx");
  assert.equal(enrich.attributes["action.output"], "ctx done");
  assert.equal(enrich.attributes["object.pod"], "nginx");
  const capture = one("action", (s) => s.attributes["action.name"] === "Capture");
  assert.equal(capture.parentSpanId, match.spanId);
  assert.equal(
    capture.attributes["action.ignore_errors"],
    true,
    "the real value, not Talon's constant false",
  );
  assert.equal(capture.attributes["actionner.Information().Category"], "tests");
  assert.equal(capture.attributes["object.namespace"], "default");
  assert.equal(capture.status.code, 1);

  const output = one("output");
  assert.equal(output.parentSpanId, capture.spanId);
  assert.equal(output.attributes["output.target"], "local:file");
  assert.equal(output.attributes["output.category"], "local");
  assert.equal(output.attributes["output.status"], "success");
  assert.equal(output.attributes["output.name"], "Capture");

  const notifications = spans.filter((s) => s.name === "notification");
  assert.deepEqual(notifications.map(parentName).sort(), ["action", "action", "output"]);
  assert.deepEqual(
    notifications.map((n) => byId.get(n.parentSpanId)!.spanId).sort(),
    [enrich.spanId, capture.spanId, output.spanId].sort(),
  );
  for (const n of notifications) assert.equal(n.attributes["notifier.name"], "recorder");

  // trace_id in logs and notifications is the trace id of the event span.
  const traced = run.logs.filter((l) => l.trace_id !== undefined);
  assert.ok(traced.some((l) => l.message === "event") && traced.some((l) => l.message === "action"));
  for (const l of traced) assert.equal(l.trace_id, TRACE_ID, JSON.stringify(l));
  assert.equal(run.notifications.length, 3);
  for (const n of run.notifications) assert.equal(n.trace_id, TRACE_ID);
}

describe("pipeline spans", () => {
  let receiver: OtlpReceiver;
  let nats: NatsCluster;
  const queues: JetStreamEventQueue[] = [];

  before(async () => {
    receiver = await startOtlpReceiver();
    nats = await startNats();
  });
  after(async () => {
    for (const q of queues) await q.close().catch(() => {});
    await nats?.stop();
    await receiver?.close();
  });

  it("in-process queue: every span, its parent, attributes and status; logs carry the trace id", async () => {
    checkSpans(await runPipeline(receiver));
  });

  it("NATS JetStream queue: the consumer's spans continue the producer's trace via message headers", async () => {
    const queue = await testQueueReplica(nats.url, `OTEL${process.pid}`, { partitions: 2 });
    queues.push(queue);
    checkSpans(await runPipeline(receiver, queue));
  });
});
