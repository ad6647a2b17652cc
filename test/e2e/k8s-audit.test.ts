/**
 * Detect and respond in one process: Kubernetes audit events POSTed to /k8s-audit are
 * evaluated against Falco's official k8s_audit rules, and the alerts drive Talon rules
 * that act on the real API server.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { createNamespace, createPod, getTestCluster, type TestCluster, waitFor } from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

const K8S_AUDIT_RULES = resolve(
  import.meta.dirname,
  "../../../shared/conformance/rules/k8s_audit_rules.yaml",
);
const FIXTURE = resolve(import.meta.dirname, "../falco/fixtures/exec-pod.json");

describe("POST /k8s-audit (detect and respond)", () => {
  let cluster: TestCluster;
  let server: ServerProcess;
  let ns: string;

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "audit");
    await createPod(cluster.kube, ns, "web");
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
falco:
  rules_files: [${K8S_AUDIT_RULES}]
`,
      rules: {
        "rules.yaml": `
- rule: Quarantine pods exec'd into
  match:
    rules: [Attach/Exec Pod]
    source: k8s_audit
  actions:
    - action: Label exec'd pod
      actionner: kubernetes:label
      parameters:
        labels:
          quarantine: "exec"
`,
      },
    });
  });

  after(async () => {
    await server?.stop();
  });

  it("labels the pod that was exec'd into", async () => {
    const event = JSON.parse(readFileSync(FIXTURE, "utf8"));
    event.objectRef.namespace = ns;
    event.objectRef.name = "web";
    event.requestURI = `/api/v1/namespaces/${ns}/pods/web/exec?command=sh&container=nginx&stdin=true&tty=true`;
    const list = { kind: "EventList", apiVersion: "audit.k8s.io/v1", items: [event] };
    const res = await server.post(JSON.stringify(list), "/k8s-audit");
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), { accepted: 1, rejected: 0 });

    await waitFor("the quarantine label", async () => {
      const pod = await cluster.kube.core.readNamespacedPod({ name: "web", namespace: ns });
      return pod.metadata?.labels?.quarantine === "exec";
    });
    const match = await server.waitForLog((l) => l.message === "match");
    assert.equal(match.event, "Attach/Exec Pod");
    assert.equal(match.source, "k8s_audit");
  });

  it("answers 400 to what is not an audit event", async () => {
    const res = await server.post('{"hello":"world"}', "/k8s-audit");
    assert.equal(res.status, 400);
    assert.match(res.text, /data not recognized as a k8s audit event/);
    assert.equal((await server.post("not json", "/k8s-audit")).status, 400);
  });
});
