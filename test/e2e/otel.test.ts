/**
 * End to end traces: the real `falco-talon server` process exports over
 * OTLP/gRPC to an in-process gRPC receiver; the event is posted with a W3C `traceparent`,
 * acts on a pod of the real API server and notifies a real webhook receiver.
 */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { after, before, describe, it } from "node:test";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp.js";
import { type ServerProcess, startReceiver, startServerProcess } from "../support/server.js";

const RULES = (ns: string) => `
- rule: Label shells
  match:
    rules:
      - Terminal shell in container
    output_fields:
      - k8s.ns.name=${ns}
  actions:
    - action: Label Pod as Suspicious
      actionner: kubernetes:label
      parameters:
        labels:
          suspicious: "true"
`;

const shellEvent = (ns: string, pod: string) =>
  JSON.stringify({
    rule: "Terminal shell in container",
    priority: "Warning",
    source: "syscall",
    time: "2026-01-02T03:04:05.123456789Z",
    output: `A shell was spawned in ${pod}`,
    output_fields: { "k8s.ns.name": ns, "k8s.pod.name": pod },
    tags: ["shell"],
  });

async function postEvent(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/`, { method: "POST", body, headers });
  await res.text();
  return res.status;
}

const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("OTel traces (end to end)", () => {
  let cluster: TestCluster;
  let ns: string;
  let collector: OtlpReceiver;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  const servers: ServerProcess[] = [];

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "otel");
    await createPod(cluster.kube, ns, "nginx");
    await createPod(cluster.kube, ns, "redis");
    collector = await startOtlpReceiver();
    webhook = await startReceiver();
  });

  after(async () => {
    for (const s of servers) await s.stop();
    await collector?.close();
    await webhook?.close();
  });

  it("exports the intake, event, match, checks, action and notification spans of the caller's trace", async () => {
    const server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
default_notifiers: [webhook]
notifiers:
  webhook:
    url: ${webhook.url}/hook
otel:
  traces_enabled: true
  collector_endpoint: ${collector.host}
  collector_port: ${collector.port}
  collector_use_insecure_grpc: true
`,
      rules: { "rules.yaml": RULES(ns) },
    });
    servers.push(server);
    const traceId = randomHex(16);
    const remoteSpanId = randomHex(8);
    const status = await postEvent(server.url, shellEvent(ns, "nginx"), {
      traceparent: `00-${traceId}-${remoteSpanId}-01`,
      "user-agent": "falcosidekick-test",
    });
    assert.equal(status, 200);

    // Batches leave every 5 s, as Talon's.
    const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
    const spans = inTrace(
      await collector.waitForSpans((all) => inTrace(all).some((s) => s.name === "notification"), 30_000),
    );
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      assert.equal(found.length, 1, `one ${name} span in ${spans.map((s) => s.name)}`);
      return found[0]!;
    };

    const http = one("/");
    assert.equal(http.parentSpanId, remoteSpanId, "the server span continues the incoming traceparent");
    assert.equal(http.kind, 2, "SERVER");
    assert.equal(http.attributes["http.request.method"], "POST");
    assert.equal(http.attributes["url.path"], "/");
    assert.equal(http.attributes["url.scheme"], "http");
    assert.equal(http.attributes["http.response.status_code"], 200n);
    assert.equal(http.attributes["server.address"], "127.0.0.1");
    assert.equal(http.attributes["user_agent.original"], "falcosidekick-test");
    assert.equal(http.resource["service.name"], "falco-talon");
    assert.equal(http.resource["service.instance.id"], hostname());
    assert.equal(typeof http.resource["service.version"], "string");

    const event = one("event");
    assert.equal(event.parentSpanId, http.spanId);
    assert.equal(event.attributes["event.rule"], "Terminal shell in container");
    assert.equal(event.attributes['event.output_fields["k8s.pod.name"]'], "nginx");
    assert.equal(event.attributes["event.traceid"], traceId);

    const match = one("match");
    assert.equal(match.parentSpanId, event.spanId);
    assert.equal(match.attributes["rule.name"], "Label shells");
    assert.equal(one("checks").parentSpanId, match.spanId);

    const action = one("action");
    assert.equal(action.parentSpanId, match.spanId);
    assert.equal(action.attributes["action.actionner"], "kubernetes:label");
    assert.equal(action.attributes["object.pod"], "nginx");
    assert.equal(action.attributes["object.namespace"], ns);
    assert.equal(action.status.code, 1);

    const notification = one("notification");
    assert.equal(notification.parentSpanId, action.spanId);
    assert.equal(notification.attributes["notifier.name"], "webhook");

    // The log lines and the notification carry the same trace id.
    const logged = await server.waitForLog((l) => l.message === "action" && l.status === "success");
    assert.equal(logged.trace_id, traceId);
    const matchLog = await server.waitForLog((l) => l.message === "match");
    assert.equal(matchLog.trace_id, traceId);
    const hook = await waitFor("the webhook", async () => webhook.requests[0]);
    assert.equal(JSON.parse(hook.body).trace_id, traceId);
  });

  it("with traces disabled exports nothing, and logs still carry a 32-hex trace id", async () => {
    const idle = await startOtlpReceiver();
    try {
      const server = await startServerProcess({
        config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
`,
        rules: { "rules.yaml": RULES(ns) },
        // Everything but the switch points at a live collector, through Talon's env variables.
        env: {
          OTEL_COLLECTOR_ENDPOINT: idle.host,
          OTEL_COLLECTOR_PORT: String(idle.port),
          OTEL_COLLECTOR_USE_INSECURE_GRPC: "true",
        },
      });
      servers.push(server);
      assert.equal(await postEvent(server.url, shellEvent(ns, "redis")), 200);
      const action = await server.waitForLog((l) => l.message === "action" && l.status === "success");
      assert.match(String(action.trace_id), /^[0-9a-f]{32}$/);
      assert.notEqual(action.trace_id, "0".repeat(32));

      // An incoming traceparent is still honoured for the ids.
      const traceId = randomHex(16);
      const second = shellEvent(ns, "redis").replace("A shell", "Another shell");
      assert.equal(
        await postEvent(server.url, second, { traceparent: `00-${traceId}-${randomHex(8)}-01` }),
        200,
      );
      const secondLog = await server.waitForLog((l) => l.message === "match" && l.trace_id === traceId);
      assert.equal(secondLog.rule, "Label shells");

      // A graceful stop flushes whatever a provider would export.
      assert.equal(await server.stop(), 0);
      assert.equal(idle.exports, 0);
      assert.equal(idle.spans.length, 0);
    } finally {
      await idle.close();
    }
  });
});
