/** kubernetes:label and kubernetes:annotation against the real API server. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import annotation from "../../src/actionners/kubernetes/annotation/index.js";
import label from "../../src/actionners/kubernetes/label/index.js";
import type { ActionResult } from "../../src/plugins/types.js";
import {
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitForPodRunning,
} from "../support/k8s.js";

/** The result without its undo record (test/k8s/revert-*.test.ts check that). */
function withoutUndo(r: ActionResult): Omit<ActionResult, "undo"> {
  const { undo: _undo, ...rest } = r;
  return rest;
}

describe("kubernetes:label / kubernetes:annotation", () => {
  let c: TestCluster;
  let ns: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "metadata");
    await createPod(c.kube, ns, "target", c.nodeNames[1] ?? c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "target");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });
  const ev = () => makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": ns });

  it("adds, changes and removes pod labels in one patch, escaping / and ~", async () => {
    const env = makePluginEnv(c.kube);
    let r = await runActionner(label, env, ev(), {
      labels: { "example.com/suspicious": true, tier: "a", gone: "x" },
    });
    assert.deepEqual(withoutUndo(r), {
      status: "success",
      output: `the pod 'target' in the namespace '${ns}' has been labeled`,
      objects: { pod: "target", namespace: ns },
    });
    r = await runActionner(label, env, ev(), { labels: { tier: "b", gone: "", "never-there": "" } });
    assert.equal(r.status, "success");
    const pod = await c.kube.core.readNamespacedPod({ name: "target", namespace: ns });
    assert.equal(pod.metadata?.labels?.["example.com/suspicious"], "true");
    assert.equal(pod.metadata?.labels?.tier, "b");
    assert.equal(pod.metadata?.labels?.app, "target");
    assert.ok(!("gone" in (pod.metadata?.labels ?? {})));
  });

  it("annotates a pod with a prefixed key, creating the map", async () => {
    const r = await runActionner(annotation, makePluginEnv(c.kube), ev(), {
      annotations: { "falco.org/rule": "Terminal shell", count: 2 },
    });
    assert.equal(r.output, `the pod 'target' in the namespace '${ns}' has been annotated`);
    const pod = await c.kube.core.readNamespacedPod({ name: "target", namespace: ns });
    assert.equal(pod.metadata?.annotations?.["falco.org/rule"], "Terminal shell");
    assert.equal(pod.metadata?.annotations?.count, "2");
  });

  it("labels and annotates the pod's node at node level", async () => {
    const pod = await c.kube.core.readNamespacedPod({ name: "target", namespace: ns });
    const nodeName = pod.spec?.nodeName as string;
    const key = `talon-test-${process.pid}`;
    let r = await runActionner(label, makePluginEnv(c.kube), ev(), {
      labels: { [key]: "yes" },
      level: "node",
    });
    assert.deepEqual(withoutUndo(r), {
      status: "success",
      output: `the node '${nodeName}' has been labeled`,
      objects: { node: nodeName },
    });
    r = await runActionner(annotation, makePluginEnv(c.kube), ev(), {
      annotations: { [key]: "x" },
      level: "node",
    });
    assert.equal(r.output, `the node '${nodeName}' has been annotationed`);
    let node = await c.kube.core.readNode({ name: nodeName });
    assert.equal(node.metadata?.labels?.[key], "yes");
    assert.equal(node.metadata?.annotations?.[key], "x");
    await runActionner(label, makePluginEnv(c.kube), ev(), { labels: { [key]: "" }, level: "node" });
    node = await c.kube.core.readNode({ name: nodeName });
    assert.ok(!(key in (node.metadata?.labels ?? {})));
  });

  it("changes nothing under server dry run", async () => {
    const r = await runActionner(label, makePluginEnv(c.kube, { dryRun: "server" }), ev(), {
      labels: { dry: "run" },
    });
    assert.equal(r.status, "success");
    const pod = await c.kube.core.readNamespacedPod({ name: "target", namespace: ns });
    assert.ok(!("dry" in (pod.metadata?.labels ?? {})));
  });
});
