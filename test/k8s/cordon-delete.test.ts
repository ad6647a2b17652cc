/** kubernetes:cordon and kubernetes:delete against the real API server. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import cordon from "../../src/actionners/kubernetes/cordon/index.js";
import k8sDelete from "../../src/actionners/kubernetes/delete/index.js";
import type { ActionResult } from "../../src/plugins/types.js";
import {
  createDeployment,
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitFor,
  waitForPodRunning,
} from "../support/k8s.js";

/** The result without its undo record (test/k8s/revert-*.test.ts check that). */
function withoutUndo(r: ActionResult): Omit<ActionResult, "undo"> {
  const { undo: _undo, ...rest } = r;
  return rest;
}

describe("kubernetes:cordon", () => {
  let c: TestCluster;
  let ns: string;
  let nodeName: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "cordon");
    // A dedicated node, so cordoning it does not disturb other suites.
    nodeName = `cordon-${process.pid}`;
    await c.kube.core.createNode({
      body: {
        metadata: {
          name: nodeName,
          labels: { "cordon-test": "true" },
          annotations: { "kwok.x-k8s.io/node": "fake" },
        },
      },
    });
    await waitFor("cordon node ready", async () => {
      const n = await c.kube.core.readNode({ name: nodeName });
      return (n.status?.conditions ?? []).some((x) => x.type === "Ready" && x.status === "True");
    });
    await createPod(c.kube, ns, "victim", nodeName);
    await waitForPodRunning(c.kube, ns, "victim");
  });
  after(async () => {
    if (!c) return;
    if (ns) await deleteNamespace(c.kube, ns);
    await c.kube.core.deleteNode({ name: nodeName }).catch(() => undefined);
  });

  it("cordons the pod's node (dry run first leaves it schedulable)", async () => {
    const ev = makeEvent({ "k8s.pod.name": "victim", "k8s.ns.name": ns });
    assert.equal(cordon.nodeLevel?.({}), true);
    let r = await runActionner(cordon, makePluginEnv(c.kube, { dryRun: "server" }), ev);
    assert.equal(r.status, "success");
    assert.notEqual((await c.kube.core.readNode({ name: nodeName })).spec?.unschedulable, true);
    r = await runActionner(cordon, makePluginEnv(c.kube), ev);
    assert.deepEqual(withoutUndo(r), {
      status: "success",
      output: `the node '${nodeName}' has been cordoned`,
      objects: { node: nodeName },
    });
    assert.equal((await c.kube.core.readNode({ name: nodeName })).spec?.unschedulable, true);
    // Idempotent.
    r = await runActionner(cordon, makePluginEnv(c.kube), ev);
    assert.equal(r.status, "success");
  });

  it("fails checks for a missing pod", async () => {
    await assert.rejects(
      runActionner(cordon, makePluginEnv(c.kube), makeEvent({ "k8s.pod.name": "ghost", "k8s.ns.name": ns })),
      new Error(`the pod 'ghost' in the namespace '${ns}' doesn't exist`),
    );
  });
});

describe("kubernetes:delete", () => {
  let c: TestCluster;
  let ns: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "delete");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });
  const audit = (resource: string, name: string, namespace?: string) =>
    makeEvent(
      {
        "ka.target.resource": resource,
        "ka.target.name": name,
        ...(namespace ? { "ka.target.namespace": namespace } : {}),
      },
      "k8s_audit",
    );

  it("deletes namespaced resources of every managed kind", async () => {
    const k = c.kube;
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "cm" }, data: { a: "b" } },
    });
    await k.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "sec" }, stringData: { a: "b" } },
    });
    await k.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: "svc" }, spec: { ports: [{ port: 80 }], selector: { app: "x" } } },
    });
    await k.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "sa" } } });
    await k.rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: "role" }, rules: [] } });
    await createDeployment(k, ns, "dep", 1);
    await createPod(k, ns, "pod", c.nodeNames[0]);
    const cases: [string, string, () => Promise<unknown>][] = [
      ["configmaps", "cm", () => k.core.readNamespacedConfigMap({ name: "cm", namespace: ns })],
      ["secrets", "sec", () => k.core.readNamespacedSecret({ name: "sec", namespace: ns })],
      ["services", "svc", () => k.core.readNamespacedService({ name: "svc", namespace: ns })],
      ["serviceaccounts", "sa", () => k.core.readNamespacedServiceAccount({ name: "sa", namespace: ns })],
      ["roles", "role", () => k.rbac.readNamespacedRole({ name: "role", namespace: ns })],
      ["deployments", "dep", () => k.apps.readNamespacedDeployment({ name: "dep", namespace: ns })],
      ["pods", "pod", () => k.core.readNamespacedPod({ name: "pod", namespace: ns })],
    ];
    for (const [resource, name, read] of cases) {
      const r = await runActionner(k8sDelete, makePluginEnv(k), audit(resource, name, ns));
      assert.deepEqual(r, {
        status: "success",
        output: `the ${resource.replace(/s$/, "")} '${name}' in the namespace '${ns}' has been deleted`,
        objects: { name, resource, namespace: ns },
      });
      await waitFor(`${resource}/${name} gone`, async () => {
        try {
          await read();
          return false;
        } catch (err) {
          return (err as { code?: number }).code === 404;
        }
      });
    }
  });

  it("deletes cluster-scoped kinds without a namespace, and honours server dry run", async () => {
    const k = c.kube;
    const roleName = `talon-test-${process.pid}`;
    await k.rbac.createClusterRole({ body: { metadata: { name: roleName }, rules: [] } });
    let r = await runActionner(
      k8sDelete,
      makePluginEnv(k, { dryRun: "server" }),
      audit("clusterroles", roleName, "ignored"),
    );
    assert.equal(r.status, "success");
    await k.rbac.readClusterRole({ name: roleName });
    r = await runActionner(k8sDelete, makePluginEnv(k), audit("clusterroles", roleName));
    assert.deepEqual(r, {
      status: "success",
      output: `the clusterrole '${roleName}' has been deleted`,
      objects: { name: roleName, resource: "clusterroles", namespace: "" },
    });
    const extra = await createNamespace(k, "delete-ns");
    r = await runActionner(k8sDelete, makePluginEnv(k), audit("namespaces", extra));
    assert.equal(r.output, `the namespace '${extra}' has been deleted`);
    const gone = await k.core.readNamespace({ name: extra }).catch((e) => e);
    assert.ok(gone?.code === 404 || gone?.metadata?.deletionTimestamp, "namespace deleted or terminating");
  });

  it("fails checks on missing or unmanaged targets", async () => {
    const env = makePluginEnv(c.kube);
    const notManaged = /the resource doesn't exist or its type is not yet managed/;
    await assert.rejects(runActionner(k8sDelete, env, audit("configmaps", "absent", ns)), notManaged);
    await assert.rejects(runActionner(k8sDelete, env, audit("ingresses", "x", ns)), notManaged);
    await assert.rejects(runActionner(k8sDelete, env, audit("configmaps", "x")), /missing namespace/);
    await assert.rejects(runActionner(k8sDelete, env, audit("", "x", ns)), /missing resource/);
  });
});
