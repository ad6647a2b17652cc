/**
 * End to end: the real `falco-talon server` process, real HTTP, the real API server,
 * a real webhook receiver, the real file system.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import {
  type ReceivedRequest,
  type ServerProcess,
  startReceiver,
  startServerProcess,
} from "../support/server.js";

const RULES = (ns: string, artifacts = "/nonexistent") => `
- action: Label Pod as Suspicious
  actionner: kubernetes:label
  parameters:
    labels:
      suspicious: true
      falco-rule: shell

- rule: Label shells
  match:
    rules:
      - Terminal shell in container
    output_fields:
      - k8s.ns.name=${ns}
  actions:
    - action: Label Pod as Suspicious

- rule: Collect logs
  match:
    rules:
      - Collect evidence
  actions:
    - action: Get logs
      actionner: kubernetes:log
      parameters:
        tail_lines: 5
      output:
        target: local:file
        parameters:
          destination: ${artifacts}

- rule: Rehearse on the server
  match:
    rules:
      - Rehearse
  dry_run: server
  actions:
    - action: Terminate for real, server-side dry run
      actionner: kubernetes:terminate

- rule: Rehearse terminate
  match:
    priority: ">=Critical"
  dry_run: true
  actions:
    - action: Terminate
      actionner: kubernetes:terminate
`;

describe("falco-talon server (end to end)", () => {
  let cluster: TestCluster;
  let server: ServerProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ns: string;
  let artifacts: string;

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "e2e");
    await createPod(cluster.kube, ns, "nginx");
    receiver = await startReceiver();
    artifacts = mkdtempSync(join(tmpdir(), "falco-talon-artifacts-"));
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
default_notifiers: [webhook]
notifiers:
  webhook:
    url: ${receiver.url}/hook
`,
      rules: { "rules.yaml": RULES(ns, artifacts) },
    });
  });

  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it("answers health, method and body errors like Talon", async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const get = await fetch(`${server.url}/`);
    assert.equal(get.status, 400);
    assert.match(await get.text(), /^Please send with POST http method/);
    assert.equal((await server.post('{"time":"x"}')).status, 400);
    assert.equal((await server.post("{}")).status, 200);
    const big = await server.post(JSON.stringify({ output: "x".repeat(2 * 1024 * 1024) }));
    assert.equal(big.status, 413);
  });

  it("labels the pod on the real API server and notifies the webhook", async () => {
    const event = {
      rule: "Terminal shell in container",
      priority: "Warning",
      source: "syscall",
      output: "12:00:00.000000000: Warning A shell was spawned in nginx",
      output_fields: { "k8s.ns.name": ns, "k8s.pod.name": "nginx", "proc.pid": 1234567 },
      tags: ["shell", "mitre_execution"],
    };
    assert.equal((await server.post(JSON.stringify(event))).status, 200);
    assert.equal((await server.post(JSON.stringify(event))).status, 200, "duplicate still answers 200");

    const pod = await waitFor("the label", async () => {
      const p = await cluster.kube.core.readNamespacedPod({ name: "nginx", namespace: ns });
      return p.metadata?.labels?.suspicious === "true" ? p : undefined;
    });
    assert.equal(pod.metadata?.labels?.["falco-rule"], "shell");

    const action = await server.waitForLog((l) => l.message === "action" && l.status === "success");
    assert.equal(action.rule, "Label shells");
    assert.equal(action.output, `the pod 'nginx' in the namespace '${ns}' has been labeled`);
    assert.equal(action.event, "A shell was spawned in nginx");

    const hook: ReceivedRequest = await waitFor("the webhook", async () => receiver.requests[0]);
    assert.equal(hook.method, "POST");
    assert.equal(hook.url, "/hook");
    const body = JSON.parse(hook.body);
    assert.equal(body.status, "success");
    assert.equal(body.rule, "Label shells");
    assert.equal(body.objects.Pod, "nginx");

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(
      metrics,
      /falcosecurity_falco_talon_events_total\{event="Terminal shell in container".*\} 2/,
    );
    assert.match(metrics, /falcosecurity_falco_talon_events_deduplicated_total 1/);
    assert.match(
      metrics,
      /falcosecurity_falco_talon_actions_total\{rule="Label shells".*status="success".*\} 1/,
    );
    assert.match(
      metrics,
      /falcosecurity_falco_talon_notifications_total\{.*notifier="webhook".*status="success"/,
    );
    assert.doesNotMatch(metrics, /A shell was spawned/, "no output text in labels");
    // Exactly one label action ran for the two identical events.
    assert.equal(server.logs.filter((l) => l.message === "action" && l.status === "success").length, 1);
  });

  it("writes the pod's logs through local:file", async () => {
    const res = await server.post(
      JSON.stringify({
        rule: "Collect evidence",
        priority: "Notice",
        output: "collect",
        output_fields: { "k8s.ns.name": ns, "k8s.pod.name": "nginx" },
      }),
    );
    assert.equal(res.status, 200);
    const line = await server.waitForLog((l) => l.message === "output" && l.rule === "Collect logs");
    assert.equal(line.status, "success", JSON.stringify(line));
    const files = readdirSync(artifacts);
    assert.equal(files.length, 1);
    assert.match(files[0]!, new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z_${ns}_nginx_log$`));
    assert.match(readFileSync(join(artifacts, files[0]!), "utf8"), /from the fake container/);
    const hook = await waitFor("the output notification", async () =>
      receiver.requests.map((r) => JSON.parse(r.body)).find((b) => b.message === "output"),
    );
    assert.equal(hook.output_target, "local:file");
  });

  it("dry_run rules only log", async () => {
    await server.post(
      JSON.stringify({
        rule: "Something critical",
        priority: "Critical",
        output: "critical thing",
        output_fields: { "k8s.ns.name": ns, "k8s.pod.name": "nginx" },
      }),
    );
    const line = await server.waitForLog(
      (l) =>
        l.message === "action" &&
        l.output === "no action, dry-run is enabled" &&
        l.rule === "Rehearse terminate",
    );
    assert.equal(line.status, "success");
    const pod = await cluster.kube.core.readNamespacedPod({ name: "nginx", namespace: ns });
    assert.equal(pod.metadata?.deletionTimestamp, undefined);
  });

  it("dry_run: server sends the real request with Kubernetes server-side dry run", async () => {
    await server.post(
      JSON.stringify({
        rule: "Rehearse",
        priority: "Notice",
        output: "rehearse",
        output_fields: { "k8s.ns.name": ns, "k8s.pod.name": "nginx" },
      }),
    );
    const line = await server.waitForLog(
      (l) => l.message === "action" && l.rule === "Rehearse on the server" && l.status !== "in_progress",
    );
    assert.equal(line.status, "success", JSON.stringify(line));
    assert.equal(line.output, `the pod 'nginx' in the namespace '${ns}' has been terminated`);
    const pod = await cluster.kube.core.readNamespacedPod({ name: "nginx", namespace: ns });
    assert.equal(pod.metadata?.deletionTimestamp, undefined, "the pod is still there");
  });

  it("hot-reloads valid rules and keeps the old ones when the new ones are invalid", async () => {
    writeFileSync(
      join(server.dir, "rules.yaml"),
      `${RULES(ns)}\n- rule: broken\n  actions:\n    - action: x\n      actionner: nope:nope\n`,
    );
    await server.waitForLog((l) => l.message === "rules reload failed, the previous rules stay in force");
    assert.ok(
      server.logs.some((l) => l.message === "rules" && String(l.error).includes("unknown actionner")),
    );

    const renamed = RULES(ns, artifacts).replace("rule: Label shells", "rule: Label shells v2");
    // Write then rename into place, as editors and ConfigMap updates do.
    writeFileSync(join(server.dir, "rules.yaml.tmp"), renamed);
    const { renameSync } = await import("node:fs");
    renameSync(join(server.dir, "rules.yaml.tmp"), join(server.dir, "rules.yaml"));
    await server.waitForLog((l) => String(l.message).includes("successfully reloaded"));
  });

  it("stops gracefully on SIGTERM", async () => {
    const code = await server.stop("SIGTERM");
    assert.equal(code, 0);
    assert.ok(server.logs.some((l) => l.message === "stopped"));
  });
});
