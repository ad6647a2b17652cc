/**
 * Falco → Falcosidekick (talon output) → our engine → the real API server.
 *
 * Falcosidekick is the binary FALCOSIDEKICK_BIN names (built by hand outside the project);
 * without it the wire-level stand-in in test/support/falcosidekick.ts sends what Falcosidekick
 * sends (see there), and the test output says why. Either way the alert goes through
 * Falcosidekick's decoding and re-encoding: exact number literals, HTML-escaped strings, sorted
 * keys, added uuid and custom fields.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Falcosidekick, startFalcosidekick } from "../support/falcosidekick.js";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

describe("Falcosidekick's talon output as a client", () => {
  let cluster: TestCluster;
  let server: ServerProcess;
  let sidekick: Falcosidekick;
  let ns: string;

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "sidekick");
    await createPod(cluster.kube, ns, "shell");
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
`,
      rules: {
        "rules.yaml": `
- action: Label as alerted through Falcosidekick
  actionner: kubernetes:label
  parameters:
    labels:
      via: falcosidekick

- rule: Label pods alerted through Falcosidekick
  match:
    rules: [Terminal shell in container]
    priority: ">=Warning"
    output_fields:
      - proc.pid=12345678901234567890, proc.cmdline=sh -c echo <a&b>, cluster=prod-eu
  actions:
    - action: Label as alerted through Falcosidekick
`,
      },
    });
    sidekick = await startFalcosidekick({ talonUrl: server.url, customFields: { cluster: "prod-eu" } });
    if (sidekick.kind === "stand-in") {
      console.error(`falcosidekick: using the wire-level stand-in (${sidekick.reason})`);
    }
  });

  after(async () => {
    await sidekick?.stop();
    await server?.stop();
  });

  it("an alert posted to Falcosidekick makes our engine act on the pod", async () => {
    const output = "12:00:00.123456789: Warning A shell was spawned (cmd=sh -c echo <a&b> pod=shell)";
    // Falco's own JSON output for the alert, as it posts it to Falcosidekick.
    const alert = `{"hostname":"node-1","output":${JSON.stringify(output)},"priority":"Warning",\
"rule":"Terminal shell in container","source":"syscall","tags":["container","shell","mitre_execution"],\
"time":"2026-11-23T12:00:00.123456789Z","output_fields":{"k8s.ns.name":${JSON.stringify(ns)},\
"k8s.pod.name":"shell","proc.cmdline":"sh -c echo <a&b>","proc.pid":12345678901234567890,"evt.time":1795435200123456789}}`;
    const res = await fetch(sidekick.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: alert,
    });
    assert.equal(res.status, 200, await res.text());

    await waitFor("the pod labelled through Falcosidekick", async () => {
      const pod = await cluster.kube.core.readNamespacedPod({ name: "shell", namespace: ns });
      return pod.metadata?.labels?.via === "falcosidekick";
    });
    const match = await server.waitForLog((l) => l.message === "match");
    assert.equal(match.rule, "Label pods alerted through Falcosidekick");
    assert.equal(match.event, "Terminal shell in container");
    // Unescaped, with Falco's time and priority prefix stripped as Talon does.
    assert.equal(match.output, "A shell was spawned (cmd=sh -c echo <a&b> pod=shell)");
    assert.equal(match.priority, "Warning");
    assert.equal(match.source, "syscall");
    const action = await server.waitForLog((l) => l.message === "action" && l.status === "success");
    assert.equal(action.pod, "shell");
    assert.equal(action.namespace, ns);

    if (sidekick.kind === "stand-in") {
      // What went over the wire is what Falcosidekick sends, and we answered 200.
      const [sent] = sidekick.forwarded;
      assert.ok(sent);
      assert.equal(sent.status, 200);
      assert.equal(sent.headers["User-Agent"], "Falcosidekick");
      assert.match(
        sent.body,
        /^\{"uuid":"[0-9a-f-]{36}","output":".*\\u003ca\\u0026b\\u003e.*","priority":"Warning"/,
      );
      assert.match(sent.body, /"proc\.pid":12345678901234567890\}/);
      assert.match(sent.body, /"evt\.time":1795435200123456789,/);
      assert.ok(sent.body.endsWith("}\n"));
    }
  });

  it("an alert Falcosidekick rejects (no rule, no time) is answered 400 and never forwarded", async () => {
    const forwardedBefore = sidekick.forwarded.length;
    const eventsBefore = server.logs.filter((l) => l.message === "event").length;
    const res = await fetch(sidekick.endpoint, { method: "POST", body: '{"output":"no rule or time"}' });
    assert.equal(res.status, 400);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.logs.filter((l) => l.message === "event").length, eventsBefore);
    assert.equal(sidekick.forwarded.length, forwardedBefore);
  });
});
