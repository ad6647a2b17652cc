/** The k8sevents notifier and the k8snode context against the real API server. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import k8snode from "../../src/contexts/k8snode/index.js";
import { findContext } from "../../src/contexts/registry.js";
import k8sevents from "../../src/notifiers/k8sevents/index.js";
import { labelNotification as notification } from "../notifiers/env.js";
import {
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  type TestCluster,
  waitFor,
  waitForPodRunning,
} from "../support/k8s.js";

describe("k8sevents notifier", () => {
  let c: TestCluster;
  let ns: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "k8sevents");
    await createPod(c.kube, ns, "nginx", c.nodeNames[0]);
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });

  // Talon test 17: the notifier reads the title-cased keys the pipeline produces.
  it("creates a Normal Event on the pod named by the title-cased Namespace and Pod objects", async () => {
    const env = makePluginEnv(c.kube);
    const pod = await waitForPodRunning(c.kube, ns, "nginx");
    await k8sevents.send(
      notification({ objects: { Namespace: ns, Pod: "nginx" }, output: "the pod 'nginx' has been labeled" }),
      {},
      env,
    );
    const ev = await waitFor("the event", async () => {
      const list = await c.kube.core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: "involvedObject.name=nginx,reportingComponent=falcosecurity.org/falco-talon",
      });
      return list.items[0];
    });
    assert.match(ev.metadata?.name ?? "", /^falco-talon-/);
    assert.equal(ev.type, "Normal");
    assert.equal(ev.reason, "falco-talon:action:kubernetes:label:success");
    assert.deepEqual(
      {
        kind: ev.involvedObject.kind,
        name: ev.involvedObject.name,
        namespace: ev.involvedObject.namespace,
        uid: ev.involvedObject.uid,
      },
      { kind: "Pod", name: "nginx", namespace: ns, uid: pod.metadata?.uid },
    );
    assert.equal(ev.source?.component, "falco-talon");
    assert.equal(ev.reportingInstance, "falco-talon");
    assert.equal(ev.action, "kubernetes:label");
    assert.ok(ev.eventTime);
    assert.match(ev.message ?? "", /Output: the pod "nginx" has been labeled/);
  });

  it("uses Warning for failures and the default namespace when the pod's namespace is gone", async () => {
    const env = makePluginEnv(c.kube);
    await k8sevents.send(
      notification({
        status: "failure",
        error: "boom",
        actionner: "",
        message: "output",
        output_target: "aws:s3",
        objects: { Namespace: `missing-${process.pid}`, Pod: `ghost-${process.pid}` },
        output: "x".repeat(5000),
      }),
      {},
      env,
    );
    const ev = await waitFor("the event in default", async () => {
      const list = await c.kube.core.listNamespacedEvent({
        namespace: "default",
        fieldSelector: `involvedObject.name=ghost-${process.pid}`,
      });
      return list.items[0];
    });
    assert.equal(ev.type, "Warning");
    assert.equal(ev.reason, "falco-talon:output:aws:s3:failure");
    assert.equal(ev.involvedObject.namespace, "default");
    assert.ok(Buffer.byteLength(ev.message ?? "") <= 1024);
    assert.match(ev.message ?? "", /Error: boom/);
  });

  it("records node-level results on the Node", async () => {
    const node = c.nodeNames[0] as string;
    await k8sevents.send(
      notification({ actionner: "kubernetes:cordon", objects: { Node: node } }),
      {},
      makePluginEnv(c.kube),
    );
    const ev = await waitFor("the node event", async () => {
      const list = await c.kube.core.listNamespacedEvent({
        namespace: "default",
        fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node},reason=falco-talon:action:kubernetes:cordon:success`,
      });
      return list.items[0];
    });
    assert.equal(ev.involvedObject.kind, "Node");
  });
});

describe("k8snode context", () => {
  let c: TestCluster;
  let ns: string;
  const node = `ctx-node-${process.pid}`;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "k8snode");
    await c.kube.core.createNode({
      body: {
        metadata: {
          name: node,
          labels: {
            "kubernetes.io/hostname": "host-1",
            "node.kubernetes.io/instance-type": "m5.large",
            "topology.kubernetes.io/region": "eu-west-1",
            "topology.kubernetes.io/zone": "eu-west-1a",
          },
          annotations: { "kwok.x-k8s.io/node": "fake" },
        },
        spec: {
          providerID: "aws:///eu-west-1a/i-0123",
          taints: [{ key: "falco-talon.test/ctx", effect: "NoSchedule" }],
        },
      },
    });
    await c.kube.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: "app" },
        spec: { nodeName: node, containers: [{ name: "main", image: "registry.local/fake:1" }] },
      },
    });
  });
  after(async () => {
    if (!c) return;
    await c.kube.core.deleteNode({ name: node }).catch(() => undefined);
    if (ns) await deleteNamespace(c.kube, ns);
  });

  it("returns the node's labels and provider id, empty ones dropped", async () => {
    assert.equal(findContext("k8snode"), k8snode);
    const ctx = await k8snode.fetch(
      makeEvent({ "k8s.pod.name": "app", "k8s.ns.name": ns }),
      makePluginEnv(c.kube),
    );
    assert.deepEqual(ctx, {
      "node.hostname": "host-1",
      "node.instancetype": "m5.large",
      "node.topology.region": "eu-west-1",
      "node.topology.zone": "eu-west-1a",
      "node.spec.providerid": "aws:///eu-west-1a/i-0123",
    });
  });

  it("fails clearly for a missing pod", async () => {
    await assert.rejects(
      k8snode.fetch(makeEvent({ "k8s.pod.name": "nope", "k8s.ns.name": ns }), makePluginEnv(c.kube)),
      new Error(`the pod 'nope' in the namespace '${ns}' doesn't exist`),
    );
  });
});
