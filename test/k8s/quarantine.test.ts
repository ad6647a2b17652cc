/**
 * kubernetes:quarantine against the real API server, with kube-controller-manager running: a
 * ReplicaSet really releases the quarantined pod and starts a replacement, the EndpointSlice
 * controller really drops it from its Service, and a revert makes the ReplicaSet adopt it again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DiscoveryV1Api, type V1Pod } from "@kubernetes/client-node";
import quarantine from "../../src/actionners/kubernetes/quarantine/index.js";
import type { QuarantineRecord } from "../../src/actionners/kubernetes/quarantine/record.js";
import { buildClusterRole } from "../../src/cli/rbac.js";
import { createKubeClient, type KubeClient } from "../../src/kube/client.js";
import type { ActionResult, PluginEnv } from "../../src/plugins/types.js";
import { loadRulesFromSources } from "../../src/rules/index.js";
import {
  createDeployment,
  createNamespace,
  createPod,
  createReplicaSet,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitFor,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

const Q = "falco-talon/quarantine";

/** The client's model objects as plain data, to compare with literals. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;

describe("kubernetes:quarantine", () => {
  let c: TestCluster;
  let ns: string;
  let discovery: DiscoveryV1Api;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "quarantine");
    discovery = c.kube.config.makeApiClient(DiscoveryV1Api);
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });

  const readPod = (name: string) => c.kube.core.readNamespacedPod({ name, namespace: ns });
  const readPolicy = (name: string) => c.kube.networking.readNamespacedNetworkPolicy({ name, namespace: ns });
  const policyGone = async (name: string) =>
    readPolicy(name).then(
      () => false,
      (err) => isNotFound(err),
    );
  const eventFor = (pod: string) => makeEvent({ "k8s.pod.name": pod, "k8s.ns.name": ns });
  const record = (r: ActionResult): QuarantineRecord => {
    assert.equal(r.status, "success", r.error);
    assert.ok(r.undo, "a quarantine that changed something keeps its undo record");
    return quarantine.reversible!.record.parse(r.undo) as QuarantineRecord;
  };
  const revert = (undo: QuarantineRecord, env: PluginEnv = makePluginEnv(c.kube), dryRun = false) =>
    quarantine.reversible!.revert({ undo, env, dryRun });

  /** A ReplicaSet (or Deployment) of one pod and a Service selecting it (`app=<name>`); the running pod. */
  async function workload(name: string, kind: "ReplicaSet" | "Deployment" = "ReplicaSet"): Promise<V1Pod> {
    if (kind === "ReplicaSet") await createReplicaSet(c.kube, ns, name, 1);
    else await createDeployment(c.kube, ns, name, 1);
    await c.kube.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } },
    });
    const [pod] = await waitForRunningPods(c.kube, ns, name, 1);
    assert.ok(pod);
    return pod;
  }

  /** Non-terminating pods of the namespace, and those the ReplicaSet `rs` controls. */
  async function pods(rs: string): Promise<{ all: V1Pod[]; owned: V1Pod[] }> {
    const all = (await c.kube.core.listNamespacedPod({ namespace: ns })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
    const owned = all.filter((p) =>
      (p.metadata?.ownerReferences ?? []).some(
        (o) => o.controller && o.kind === "ReplicaSet" && o.name === rs,
      ),
    );
    return { all, owned };
  }

  /** The pods the Service's EndpointSlices point at (filled by kube-controller-manager). */
  async function endpointPods(service: string): Promise<string[]> {
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace: ns,
      labelSelector: `kubernetes.io/service-name=${service}`,
    });
    return slices.items
      .flatMap((s) => s.endpoints ?? [])
      .map((e) => e.targetRef?.name ?? "")
      .filter((n) => n !== "")
      .sort();
  }

  it("keeps the pod, takes it out of its ReplicaSet and Service, isolates it; revert puts it all back", async () => {
    const pod = await workload("web");
    const name = pod.metadata?.name ?? "";
    const uid = pod.metadata?.uid;
    await waitFor("the Service's endpoints to list the pod", async () =>
      (await endpointPods("web")).includes(name),
    );

    const r = await runActionner(quarantine, makePluginEnv(c.kube), eventFor(name), {
      allow_dns: true,
      allow_namespaces: ["forensics"],
    });
    const undo = record(r);
    const policyName = `quarantine-${name}`;
    assert.deepEqual(r.objects, { pod: name, namespace: ns, networkpolicy: policyName });
    assert.match(
      r.output ?? "",
      /has been quarantined: label falco-talon\/quarantine=[0-9a-f]{16} set, labels 'app' removed \(selected by replicaset 'web', service 'web'\), NetworkPolicy/,
    );
    const value = undo.labels.added[Q] ?? "";
    assert.match(value, /^[0-9a-f]{16}$/);
    assert.deepEqual(undo.labels.removed, { app: "web" });

    // The pod is still there, the same object, without the selector labels and with why.
    const quarantined = await readPod(name);
    assert.equal(quarantined.metadata?.uid, uid);
    assert.equal(quarantined.metadata?.deletionTimestamp, undefined);
    assert.equal(quarantined.metadata?.labels?.app, undefined);
    assert.equal(quarantined.metadata?.labels?.[Q], value);
    const notes = quarantined.metadata?.annotations ?? {};
    assert.deepEqual(JSON.parse(notes["falco-talon/quarantine-labels"] ?? ""), undo.labels.removed);
    assert.equal(notes["falco-talon/quarantine-rule"], "Test rule");
    assert.equal(notes["falco-talon/quarantine-output"], "test event");
    assert.ok(notes["falco-talon/quarantine-time"]);

    // The ReplicaSet releases it and starts a replacement.
    await waitFor("the ReplicaSet to release the pod", async () => {
      const p = await readPod(name);
      return !(p.metadata?.ownerReferences ?? []).some((o) => o.kind === "ReplicaSet");
    });
    const [replacement] = await waitFor("a replacement pod", async () => {
      const { all, owned } = await pods("web");
      return all.length === 2 && owned.length === 1 && owned[0]?.metadata?.name !== name ? owned : undefined;
    });
    const replacementName = replacement?.metadata?.name ?? "";
    const rs = await c.kube.apps.readNamespacedReplicaSet({ name: "web", namespace: ns });
    const selector = rs.spec?.selector?.matchLabels ?? {};
    assert.ok(!Object.entries(selector).every(([k, v]) => quarantined.metadata?.labels?.[k] === v));

    // The Service no longer sends it traffic: its EndpointSlices list the replacement only.
    await waitFor("the Service's endpoints to drop the pod", async () => {
      const eps = await endpointPods("web");
      return !eps.includes(name) && eps.includes(replacementName);
    });

    // The policy selects the quarantined pod, and only it.
    const policy = await readPolicy(policyName);
    assert.deepEqual(policy.metadata?.uid, undo.policy?.uid);
    assert.deepEqual(policy.spec?.podSelector?.matchLabels, { [Q]: value });
    assert.deepEqual(policy.spec?.policyTypes, ["Ingress", "Egress"]);
    const forensics = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "forensics" } } };
    assert.deepEqual(plain(policy.spec?.ingress), [{ _from: [forensics] }]);
    assert.deepEqual(plain(policy.spec?.egress), [
      { to: [forensics] },
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
    const selected = await c.kube.core.listNamespacedPod({ namespace: ns, labelSelector: `${Q}=${value}` });
    assert.deepEqual(
      selected.items.map((p) => p.metadata?.name),
      [name],
    );

    // A second quarantine of the same pod changes nothing.
    const again = await runActionner(quarantine, makePluginEnv(c.kube), eventFor(name));
    assert.equal(again.status, "ignored");
    assert.equal(again.undo, undefined);

    // Dry runs, the revert's own and the server's, change nothing.
    const dry = await revert(undo, makePluginEnv(c.kube), true);
    assert.equal(dry.status, "success");
    assert.ok(
      dry.reverted.length > 0 && dry.reverted.every((l) => l.startsWith("would ")),
      dry.reverted.join("\n"),
    );
    const server = await revert(undo, makePluginEnv(c.kube, { dryRun: "server" }));
    assert.equal(server.status, "success", server.error);
    assert.equal((await readPod(name)).metadata?.labels?.[Q], value);
    assert.equal((await readPolicy(policyName)).metadata?.uid, undo.policy?.uid);

    // Cheaper to delete: when the ReplicaSet adopts the quarantined pod back it scales the
    // replacement down, so the adoption itself can be seen.
    await c.kube.core.patchNamespacedPod({
      name: replacementName,
      namespace: ns,
      body: [
        {
          op: "add",
          path: "/metadata/annotations",
          value: { "controller.kubernetes.io/pod-deletion-cost": "-1000" },
        },
      ],
    });

    const back = await revert(undo);
    assert.equal(back.status, "success", back.error);
    assert.deepEqual(back.conflicts, []);
    const where = `the pod '${name}' in the namespace '${ns}'`;
    assert.deepEqual(back.reverted, [
      `label 'app' on ${where} set back to 'web'`,
      `label '${Q}' removed from ${where}`,
      `annotation 'falco-talon/quarantine-labels' removed from ${where}`,
      `annotation 'falco-talon/quarantine-rule' removed from ${where}`,
      `annotation 'falco-talon/quarantine-time' removed from ${where}`,
      `annotation 'falco-talon/quarantine-output' removed from ${where}`,
      `the NetworkPolicy '${policyName}' in the namespace '${ns}' deleted`,
    ]);
    const restored = await readPod(name);
    assert.deepEqual(restored.metadata?.labels, pod.metadata?.labels);
    assert.ok(!Object.keys(restored.metadata?.annotations ?? {}).some((k) => k.startsWith("falco-talon/")));
    assert.ok(await policyGone(policyName));

    // The ReplicaSet adopts it again and scales back down to one pod: the quarantined one.
    await waitFor("the ReplicaSet to adopt the pod and drop the replacement", async () => {
      const { all, owned } = await pods("web");
      return all.length === 1 && owned.length === 1 && owned[0]?.metadata?.uid === uid;
    });
    await waitFor("the Service's endpoints to list the pod again", async () => {
      const eps = await endpointPods("web");
      return eps.length === 1 && eps[0] === name;
    });

    // A second revert: nothing left to undo.
    const second = await revert(undo);
    assert.equal(second.status, "success");
    assert.deepEqual(second.reverted, []);
    assert.deepEqual(second.conflicts, []);
    assert.equal(second.unchanged.length, back.reverted.length);
  });

  it("leaves a hand change alone and reports it as a conflict", async () => {
    // A Deployment's pod: its ReplicaSet also selects on pod-template-hash.
    const pod = await workload("api", "Deployment");
    const name = pod.metadata?.name ?? "";
    const undo = record(await runActionner(quarantine, makePluginEnv(c.kube), eventFor(name)));
    const hash = pod.metadata?.labels?.["pod-template-hash"] ?? "";
    assert.deepEqual(undo.labels.removed, { app: "api", "pod-template-hash": hash });
    const policyName = `quarantine-${name}`;
    // Someone gives the pod another app label and edits the policy.
    await c.kube.core.patchNamespacedPod({
      name,
      namespace: ns,
      body: [{ op: "add", path: "/metadata/labels/app", value: "kept-apart" }],
    });
    await c.kube.networking.patchNamespacedNetworkPolicy({
      name: policyName,
      namespace: ns,
      body: [{ op: "add", path: "/metadata/labels/reviewed", value: "true" }],
    });
    const where = `the pod '${name}' in the namespace '${ns}'`;
    const r = await revert(undo);
    assert.equal(r.status, "conflict", r.error);
    assert.deepEqual(r.conflicts, [
      `label 'app' on ${where} is now 'kept-apart' (the quarantine removed 'api'): left alone`,
      `the NetworkPolicy '${policyName}' in the namespace '${ns}' was changed since the quarantine: left alone`,
    ]);
    assert.ok(
      r.reverted.includes(
        `label 'pod-template-hash' on ${where} set back to '${undo.labels.removed["pod-template-hash"]}'`,
      ),
    );
    const now = await readPod(name);
    assert.equal(now.metadata?.labels?.app, "kept-apart");
    assert.equal(now.metadata?.labels?.[Q], undefined);
    assert.ok(!(await policyGone(policyName)));
    // Again: the same conflicts, nothing else to do.
    const again = await revert(undo);
    assert.equal(again.status, "conflict");
    assert.deepEqual(again.conflicts, r.conflicts);
    assert.deepEqual(again.reverted, []);
  });

  it("a server dry run changes nothing and keeps no record; detach: false keeps the labels", async () => {
    await createPod(c.kube, ns, "solo", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "solo");
    const before = await readPod("solo");
    const dry = await runActionner(
      quarantine,
      makePluginEnv(c.kube, { dryRun: "server" }),
      eventFor("solo"),
      {
        cordon: true,
      },
    );
    assert.equal(dry.status, "success", dry.error);
    assert.equal(dry.undo, undefined);
    const after = await readPod("solo");
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
    assert.ok(await policyGone("quarantine-solo"));
    assert.notEqual((await c.kube.core.readNode({ name: c.nodeNames[0] ?? "" })).spec?.unschedulable, true);

    const undo = record(
      await runActionner(quarantine, makePluginEnv(c.kube), eventFor("solo"), { detach: false }),
    );
    assert.deepEqual(undo.labels.removed, {});
    const quarantined = await readPod("solo");
    assert.equal(quarantined.metadata?.labels?.app, "solo");
    assert.equal(quarantined.metadata?.annotations?.["falco-talon/quarantine-labels"], undefined);
    assert.equal((await revert(undo)).status, "success");
    assert.deepEqual((await readPod("solo")).metadata?.labels, { app: "solo" });
  });

  describe("cordon", () => {
    let nodeName: string;
    before(async () => {
      // A node of its own, so cordoning it does not disturb other suites.
      nodeName = `quarantine-${process.pid}`;
      await c.kube.core.createNode({
        body: { metadata: { name: nodeName, annotations: { "kwok.x-k8s.io/node": "fake" } } },
      });
      await waitFor("the node ready", async () => {
        const n = await c.kube.core.readNode({ name: nodeName });
        return (n.status?.conditions ?? []).some((x) => x.type === "Ready" && x.status === "True");
      });
      await createPod(c.kube, ns, "on-node", nodeName);
      await waitForPodRunning(c.kube, ns, "on-node");
    });
    after(async () => {
      await c?.kube.core.deleteNode({ name: nodeName }).catch(() => undefined);
    });
    const unschedulable = async () => (await c.kube.core.readNode({ name: nodeName })).spec?.unschedulable;

    it("cordons the node and uncordons it on revert; a node cordoned before stays cordoned", async () => {
      assert.equal(quarantine.nodeLevel?.(quarantine.parameters.parse({ cordon: true })), true);
      const r = await runActionner(quarantine, makePluginEnv(c.kube), eventFor("on-node"), { cordon: true });
      const undo = record(r);
      assert.equal(r.objects.node, nodeName);
      assert.match(r.output ?? "", new RegExp(`node '${nodeName}' cordoned$`));
      assert.equal(undo.node?.cordoned, true);
      assert.equal(await unschedulable(), true);
      const back = await revert(undo);
      assert.equal(back.status, "success", back.error);
      assert.ok(back.reverted.includes(`the node '${nodeName}' uncordoned`));
      assert.equal(await unschedulable(), undefined);
      assert.ok((await revert(undo)).unchanged.includes(`the node '${nodeName}' is already schedulable`));

      // Cordoned by someone else first: the quarantine's revert leaves it so.
      await c.kube.core.patchNode({
        name: nodeName,
        body: [{ op: "add", path: "/spec/unschedulable", value: true }],
      });
      const undo2 = record(
        await runActionner(quarantine, makePluginEnv(c.kube), eventFor("on-node"), { cordon: true }),
      );
      assert.equal(undo2.node?.cordoned, false);
      const back2 = await revert(undo2);
      assert.equal(back2.status, "success", back2.error);
      assert.equal(await unschedulable(), true);
    });

    it("quarantines and reverts under the ClusterRole `falco-talon rbac` generates", async () => {
      const loaded = loadRulesFromSources([
        {
          file: "rules.yaml",
          text: `
- rule: Shell
  match: {rules: [Terminal shell in container]}
  actions:
    - action: Quarantine
      actionner: kubernetes:quarantine
      parameters: {cordon: true, allow_dns: true}
`,
        },
      ]);
      assert.deepEqual(loaded.problems, []);
      const role = buildClusterRole(loaded.ruleset!);
      const sa = await serviceAccountClient(c, ns, role, "quarantiner");
      try {
        await c.kube.core.patchNode({
          name: nodeName,
          body: [{ op: "remove", path: "/spec/unschedulable" }],
        });
        const env = makePluginEnv(sa.kube);
        await workload("rbac");
        const [pod] = await waitForRunningPods(c.kube, ns, "rbac", 1);
        const name = pod?.metadata?.name ?? "";
        const undo = record(await runActionner(quarantine, env, eventFor(name), { allow_dns: true }));
        const back = await revert(undo, env);
        assert.equal(back.status, "success", back.error);
        // The cordon part, on the dedicated node.
        const undo2 = record(await runActionner(quarantine, env, eventFor("on-node"), { cordon: true }));
        assert.equal(undo2.node?.cordoned, true);
        assert.equal((await revert(undo2, env)).status, "success");
        assert.equal(await unschedulable(), undefined);
      } finally {
        await sa.dispose();
      }
    });
  });
});

/** A client acting as a ServiceAccount bound to `role` (a real token, through the TokenRequest API). */
async function serviceAccountClient(
  c: TestCluster,
  namespace: string,
  role: ReturnType<typeof buildClusterRole>,
  sa: string,
): Promise<{ kube: KubeClient; dispose(): Promise<void> }> {
  const name = `${role.metadata.name}-${sa}-${process.pid}`;
  await c.kube.rbac.createClusterRole({ body: { ...role, metadata: { ...role.metadata, name } } });
  await c.kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
  await c.kube.rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace }],
    },
  });
  const token = await c.kube.core.createNamespacedServiceAccountToken({
    name: sa,
    namespace,
    body: { spec: { audiences: ["https://kubernetes.default.svc"], expirationSeconds: 600 } },
  });
  const cluster = c.kube.config.getCurrentCluster();
  assert.ok(cluster);
  const dir = mkdtempSync(join(tmpdir(), "talon-quarantine-"));
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: cluster.server, "certificate-authority": cluster.caFile } }],
      users: [{ name: sa, user: { token: token.status?.token } }],
      contexts: [{ name: "c", context: { cluster: "c", user: sa } }],
      "current-context": "c",
    }),
  );
  return {
    kube: await createKubeClient(path),
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
      await c.kube.rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
      await c.kube.rbac.deleteClusterRole({ name }).catch(() => undefined);
    },
  };
}
