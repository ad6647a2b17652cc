/**
 * kubernetes:drain against the real API server, on a node of its own (tainted, so other
 * tests' pods never land there) with kube-controller-manager's disruption controller
 * enforcing PodDisruptionBudgets.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { V1Pod, V1PodSpec } from "@kubernetes/client-node";
import drain from "../../src/actionners/kubernetes/drain/index.js";
import type { KubeClient } from "../../src/kube/client.js";
import {
  createNamespace,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitFor,
  waitForPodGone,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

const TAINT = "falco-talon.test/drain";

function spec(node: string): V1PodSpec {
  return {
    nodeSelector: { "kubernetes.io/hostname": node },
    tolerations: [{ key: TAINT, operator: "Exists", effect: "NoSchedule" }],
    terminationGracePeriodSeconds: 1,
    containers: [{ name: "main", image: "registry.local/fake:1" }],
  };
}

async function createNode(kube: KubeClient, name: string) {
  await kube.core.createNode({
    body: {
      metadata: {
        name,
        labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" },
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      },
      spec: { taints: [{ key: TAINT, value: "true", effect: "NoSchedule" }] },
    },
  });
  await waitFor(`node ${name} ready`, async () => {
    const n = await kube.core.readNode({ name });
    return (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
  });
}

async function createBarePod(
  kube: KubeClient,
  namespace: string,
  name: string,
  node: string,
  finalizer = false,
) {
  await kube.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app: name }, ...(finalizer ? { finalizers: [`${TAINT}-hold`] } : {}) },
      spec: { ...spec(node), nodeName: node },
    },
  });
  return waitForPodRunning(kube, namespace, name);
}

async function createDeploymentOn(
  kube: KubeClient,
  namespace: string,
  name: string,
  replicas: number,
  node: string,
) {
  await kube.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: spec(node) },
      },
    },
  });
  const pods = await waitForRunningPods(kube, namespace, name, replicas);
  await waitFor(`deployment ${name} ready`, async () => {
    const d = await kube.apps.readNamespacedDeployment({ name, namespace });
    return (d.status?.readyReplicas ?? 0) >= replicas;
  });
  return pods;
}

const names = (pods: V1Pod[]) => pods.map((p) => p.metadata?.name as string);

async function podsOnNode(kube: KubeClient, node: string): Promise<V1Pod[]> {
  return (await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items;
}

describe("kubernetes:drain", () => {
  let c: TestCluster;
  let ns: string;
  let other: string;
  const nodes: string[] = [];
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "drain");
    other = await createNamespace(c.kube, "drain-excl");
  });
  after(async () => {
    if (!c) return;
    for (const n of nodes) await c.kube.core.deleteNode({ name: n }).catch(() => undefined);
    for (const [namespace, name] of [
      [ns, "held"],
      [other, "held-excluded"],
    ] as const) {
      await c.kube.core
        .patchNamespacedPod({ name, namespace, body: [{ op: "remove", path: "/metadata/finalizers" }] })
        .catch(() => undefined);
    }
    if (ns) await deleteNamespace(c.kube, ns);
    if (other) await deleteNamespace(c.kube, other);
  });

  it("evicts through the Eviction API: a PDB keeps its pods, daemonsets are ignored, excluded namespaces are not waited for", async () => {
    const node = `drain-a-${process.pid}`;
    nodes.push(node);
    await createNode(c.kube, node);
    await createBarePod(c.kube, ns, "alone", node);
    const protectedPods = await createDeploymentOn(c.kube, ns, "protected", 2, node);
    await c.kube.policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: "protected" },
        spec: { minAvailable: 2, selector: { matchLabels: { app: "protected" } } },
      },
    });
    await waitFor("the PDB to be processed", async () => {
      const pdb = await c.kube.policy.readNamespacedPodDisruptionBudget({ name: "protected", namespace: ns });
      return (pdb.status?.observedGeneration ?? 0) >= 1 && pdb.status?.currentHealthy === 2;
    });
    await c.kube.apps.createNamespacedDaemonSet({
      namespace: ns,
      body: {
        metadata: { name: "agent" },
        spec: {
          selector: { matchLabels: { app: "agent" } },
          template: { metadata: { labels: { app: "agent" } }, spec: spec(node) },
        },
      },
    });
    await waitForRunningPods(c.kube, ns, "agent", 1);
    // Held by a finalizer: evicted (deletionTimestamp set) but never gone; its namespace is excluded.
    await createBarePod(c.kube, other, "held-excluded", node, true);

    const event = makeEvent({ "k8s.pod.name": "alone", "k8s.ns.name": ns });
    const started = Date.now();
    const r = await runActionner(drain, makePluginEnv(c.kube), event, {
      ignore_daemonsets: true,
      max_wait_period: 20,
      wait_period_excluded_namespaces: [other],
    });
    assert.deepEqual(r.objects, { node });
    assert.equal(r.status, "failure");
    assert.equal(
      r.error,
      `the node '${node}' has not been fully drained: 1 pods ignored, 2 eviction errors, 0 were not evicted during max_wait_period, 0 other errors`,
    );
    assert.ok(Date.now() - started < 20_000, "the excluded namespace's pod was not waited for");

    // The standalone pod is gone (it was waited for); the PDB's pods are untouched.
    await assert.rejects(
      c.kube.core.readNamespacedPod({ name: "alone", namespace: ns }),
      (e: { code?: number }) => e.code === 404,
    );
    for (const name of names(protectedPods)) {
      const p = await c.kube.core.readNamespacedPod({ name, namespace: ns });
      assert.equal(p.metadata?.deletionTimestamp, undefined, `${name} kept by its PDB`);
    }
    const held = await c.kube.core.readNamespacedPod({ name: "held-excluded", namespace: other });
    assert.ok(held.metadata?.deletionTimestamp, "the excluded namespace's pod was evicted");
    const ds = (await podsOnNode(c.kube, node)).filter((p) => p.metadata?.labels?.app === "agent");
    assert.equal(ds.length, 1);
    assert.equal(ds[0]?.metadata?.deletionTimestamp, undefined, "daemonset pod ignored");

    // ignore_errors turns the same situation into a success.
    await createBarePod(c.kube, ns, "alone2", node);
    const r2 = await runActionner(
      drain,
      makePluginEnv(c.kube),
      makeEvent({ "k8s.pod.name": "alone2", "k8s.ns.name": ns }),
      { ignore_daemonsets: true, ignore_errors: true },
    );
    assert.equal(r2.status, "success");
    assert.equal(
      r2.output,
      `the node '${node}' has been drained, errors are ignored: 1 ignored pods, 2 eviction errors, 0 other errors`,
    );
    await waitForPodGone(c.kube, ns, "alone2");
  });

  it("counts pods still there after max_wait_period, and keeps min_healthy_replicas across concurrent evictions", async () => {
    const node = `drain-b-${process.pid}`;
    nodes.push(node);
    await createNode(c.kube, node);
    const api = await createDeploymentOn(c.kube, ns, "api", 4, node);
    await createBarePod(c.kube, ns, "held", node, true);

    const r = await runActionner(
      drain,
      makePluginEnv(c.kube),
      makeEvent({ "k8s.pod.name": "held", "k8s.ns.name": ns }),
      { min_healthy_replicas: "50%", max_wait_period: 2 },
    );
    assert.equal(r.status, "failure");
    // 4 ready, 50% = 2 must stay: 2 evicted, 2 kept; the held pod never leaves.
    assert.equal(
      r.error,
      `the node '${node}' has not been fully drained: 2 pods ignored, 0 eviction errors, 1 were not evicted during max_wait_period, 0 other errors`,
    );
    const evicted = [];
    for (const name of names(api)) {
      try {
        const p = await c.kube.core.readNamespacedPod({ name, namespace: ns });
        if (p.metadata?.deletionTimestamp) evicted.push(name);
      } catch (err) {
        if ((err as { code?: number }).code === 404) evicted.push(name);
        else throw err;
      }
    }
    assert.equal(evicted.length, 2);
  });

  it("only checks under server dry run, and fails checks for a missing pod", async () => {
    const node = `drain-c-${process.pid}`;
    nodes.push(node);
    await createNode(c.kube, node);
    await createBarePod(c.kube, ns, "dry", node);
    const r = await runActionner(
      drain,
      makePluginEnv(c.kube, { dryRun: "server" }),
      makeEvent({ "k8s.pod.name": "dry", "k8s.ns.name": ns }),
      {
        max_wait_period: 5,
      },
    );
    assert.equal(r.status, "success");
    const p = await c.kube.core.readNamespacedPod({ name: "dry", namespace: ns });
    assert.equal(p.metadata?.deletionTimestamp, undefined);
    await assert.rejects(
      runActionner(drain, makePluginEnv(c.kube), makeEvent({ "k8s.pod.name": "nope", "k8s.ns.name": ns })),
      new Error(`the pod 'nope' in the namespace '${ns}' doesn't exist`),
    );
  });
});
