/**
 * `falco-talon rbac`: the generated ClusterRole, bound to a ServiceAccount and used through
 * a real token (TokenRequest API), lets every action of the rules succeed and nothing else.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { findActionner } from "../../src/actionners/registry.js";
import { buildClusterRole, type ClusterRole, mergePolicyRules, renderRbac } from "../../src/cli/rbac.js";
import k8snode from "../../src/contexts/k8snode/index.js";
import { createKubeClient, type KubeClient } from "../../src/kube/client.js";
import k8sevents from "../../src/notifiers/k8sevents/index.js";
import type { Actionner, Notification } from "../../src/plugins/types.js";
import { loadRules } from "../../src/rules/index.js";
import {
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitForPodGone,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

const RESPONSE_RULES = `
- action: Label the pod
  actionner: kubernetes:label
  additional_contexts: [k8snode]
  parameters:
    labels:
      suspicious: "true"
- action: Isolate
  actionner: kubernetes:networkpolicy
  parameters:
    allow_namespaces: [kube-system]
- action: Block with Calico
  actionner: calico:networkpolicy
  parameters:
    order: 10
- action: Block with Cilium
  actionner: cilium:networkpolicy
- action: Terminate
  actionner: kubernetes:terminate

- rule: Outbound connection
  notifiers: [k8sevents]
  match:
    rules: [Unexpected outbound connection destination]
  actions:
    - action: Label the pod
    - action: Isolate
    - action: Block with Calico
    - action: Block with Cilium
    - action: Terminate
`;

const LABEL_ONLY_RULES = `
- rule: Shell
  match:
    rules: [Terminal shell in container]
  actions:
    - action: Label
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true"}
`;

const NODE_RULES = `
- rule: Crypto miner
  match:
    rules: [Detect crypto miners]
  actions:
    - action: Cordon
      actionner: kubernetes:cordon
    - action: Drain
      actionner: kubernetes:drain
      parameters:
        min_healthy_replicas: 0
        max_wait_period: 10
`;

const isForbidden = (e: unknown) => (e as { code?: number }).code === 403;

describe("rbac", () => {
  let c: TestCluster;
  let ns: string;
  let dir: string;
  const drainNode = `rbac-drain-${process.pid}`;
  const clusterScoped: { roles: string[]; bindings: string[] } = { roles: [], bindings: [] };

  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "rbac");
    dir = mkdtempSync(join(tmpdir(), "talon-rbac-"));
    writeFileSync(join(dir, "response.yaml"), RESPONSE_RULES);
    writeFileSync(join(dir, "label.yaml"), LABEL_ONLY_RULES);
    writeFileSync(join(dir, "node.yaml"), NODE_RULES);
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!c) return;
    for (const name of clusterScoped.bindings)
      await c.kube.rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    for (const name of clusterScoped.roles)
      await c.kube.rbac.deleteClusterRole({ name }).catch(() => undefined);
    await c.kube.core.deleteNode({ name: drainNode }).catch(() => undefined);
    if (ns) await deleteNamespace(c.kube, ns);
  });

  /** Applies the role under a unique name, binds it to a new ServiceAccount and returns a client using its token. */
  async function clientFor(role: ClusterRole, sa: string): Promise<KubeClient> {
    const name = `${role.metadata.name}-${sa}-${process.pid}`;
    await c.kube.rbac.createClusterRole({ body: { ...role, metadata: { ...role.metadata, name } } });
    clusterScoped.roles.push(name);
    await c.kube.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    await c.kube.rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
      },
    });
    clusterScoped.bindings.push(name);
    const tr = await c.kube.core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: ns,
      body: { spec: { audiences: ["https://kubernetes.default.svc"], expirationSeconds: 600 } },
    });
    const cluster = c.kube.config.getCurrentCluster();
    assert.ok(cluster);
    const path = join(dir, `${sa}.kubeconfig`);
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "c", cluster: { server: cluster.server, "certificate-authority": cluster.caFile } },
        ],
        users: [{ name: sa, user: { token: tr.status?.token } }],
        contexts: [{ name: "c", context: { cluster: "c", user: sa } }],
        "current-context": "c",
      }),
    );
    return createKubeClient(path);
  }

  it("merges permissions per apiGroup+resource with sorted verbs", () => {
    assert.deepEqual(
      mergePolicyRules([
        { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "patch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["delete", "get"] },
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] },
      ]),
      [
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["delete", "get", "patch"] },
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] },
      ],
    );
  });

  it("renders the ClusterRole of the rules (actionners, contexts, notifiers), and rejects unknown actionners", async () => {
    const yaml = await renderRbac([join(dir, "response.yaml")]);
    assert.match(yaml, /^---\napiVersion: rbac.authorization.k8s.io\/v1\nkind: ClusterRole\n/);
    const role = parse(yaml) as ClusterRole;
    assert.equal(role.metadata.name, "falco-talon");
    const verbsOf = (group: string, resource: string) =>
      role.rules.find((r) => r.apiGroups[0] === group && r.resources[0] === resource)?.verbs;
    assert.deepEqual(verbsOf("", "pods"), ["delete", "get", "patch"]);
    assert.deepEqual(verbsOf("", "events"), ["create"]);
    assert.deepEqual(verbsOf("projectcalico.org", "networkpolicies"), ["create", "delete", "get", "update"]);
    assert.deepEqual(verbsOf("cilium.io", "ciliumnetworkpolicies"), ["create", "delete", "get", "update"]);
    assert.deepEqual(verbsOf("networking.k8s.io", "networkpolicies"), ["create", "delete", "get", "update"]);
    assert.equal(verbsOf("", "secrets"), undefined);

    const label = parse(await renderRbac([join(dir, "label.yaml")])) as ClusterRole;
    // A pod-level label touches the pod only.
    assert.deepEqual(label.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] }]);
    const withNotifier = parse(
      await renderRbac([join(dir, "label.yaml")], { notifiers: ["k8sevents"] }),
    ) as ClusterRole;
    assert.ok(withNotifier.rules.some((r) => r.resources[0] === "events"));

    writeFileSync(join(dir, "bad.yaml"), LABEL_ONLY_RULES.replace("kubernetes:label", "kubernetes:nope"));
    await assert.rejects(renderRbac([join(dir, "bad.yaml")]), /unknown actionner 'kubernetes:nope'/);
  });

  it("lets every action of the rules succeed under the generated role, and nothing more", async () => {
    const loaded = loadRules([join(dir, "response.yaml")]);
    assert.ok(loaded.ruleset);
    const saKube = await clientFor(buildClusterRole(loaded.ruleset), "responder");
    await createPod(c.kube, ns, "victim", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "victim");
    await c.kube.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "s" } } });

    const env = makePluginEnv(saKube);
    const event = makeEvent({ "k8s.pod.name": "victim", "k8s.ns.name": ns, "fd.rip": "203.0.113.7" });
    const ctx = await k8snode.fetch(event, env);
    assert.equal(ctx["node.hostname"], c.nodeNames[0]);
    const rule = loaded.ruleset.rules[0];
    assert.ok(rule);
    for (const action of rule.actions) {
      const actionner = findActionner(action.actionner) as Actionner;
      const r = await runActionner(actionner, env, event, action.parameters);
      assert.equal(r.status, "success", `${action.actionner}: ${r.error}`);
      const notification: Notification = {
        time: new Date().toISOString(),
        message: "action",
        status: r.status,
        rule: rule.name,
        event: event.output,
        priority: event.priority,
        source: event.source,
        action: action.name,
        actionner: action.actionner,
        trace_id: event.trace_id,
        objects: { Namespace: ns, Pod: "victim" },
      };
      await k8sevents.send(notification, {}, env);
    }
    await waitForPodGone(c.kube, ns, "victim");
    // Re-running the policy actions takes the update path, also allowed.
    await createPod(c.kube, ns, "victim", c.nodeNames[0]);
    for (const name of ["kubernetes:networkpolicy", "calico:networkpolicy", "cilium:networkpolicy"]) {
      const r = await runActionner(findActionner(name) as Actionner, env, event);
      assert.equal(r.status, "success", `${name}: ${r.error}`);
      assert.match(r.output ?? "", /has been updated/);
    }

    await assert.rejects(saKube.core.readNamespacedSecret({ name: "s", namespace: ns }), isForbidden);
    await assert.rejects(saKube.core.deleteNamespacedSecret({ name: "s", namespace: ns }), isForbidden);
    await assert.rejects(saKube.apps.listNamespacedDeployment({ namespace: ns }), isForbidden);
  });

  it("a label-only role forbids what the rules don't use", async () => {
    const loaded = loadRules([join(dir, "label.yaml")]);
    assert.ok(loaded.ruleset);
    const saKube = await clientFor(buildClusterRole(loaded.ruleset), "labeler");
    await createPod(c.kube, ns, "target", c.nodeNames[0]);
    const env = makePluginEnv(saKube);
    const event = makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": ns, "fd.rip": "203.0.113.8" });
    const label = await runActionner(findActionner("kubernetes:label") as Actionner, env, event, {
      labels: { suspicious: "true" },
    });
    assert.equal(label.status, "success", label.error);

    const np = await runActionner(findActionner("kubernetes:networkpolicy") as Actionner, env, event);
    assert.equal(np.status, "failure");
    assert.match(np.error ?? "", /forbidden/);
    await assert.rejects(saKube.core.deleteNamespacedSecret({ name: "s", namespace: ns }), isForbidden);
    await assert.rejects(saKube.core.deleteNamespacedPod({ name: "target", namespace: ns }), isForbidden);
  });

  it("cordon and drain succeed under their generated role (evictions, owner reads, node list)", async () => {
    const loaded = loadRules([join(dir, "node.yaml")]);
    assert.ok(loaded.ruleset);
    const saKube = await clientFor(buildClusterRole(loaded.ruleset), "drainer");
    const taint = "falco-talon.test/rbac";
    await c.kube.core.createNode({
      body: {
        metadata: {
          name: drainNode,
          labels: { "kubernetes.io/hostname": drainNode },
          annotations: { "kwok.x-k8s.io/node": "fake" },
        },
        spec: { taints: [{ key: taint, effect: "NoSchedule" }] },
      },
    });
    const podSpec = {
      nodeSelector: { "kubernetes.io/hostname": drainNode },
      tolerations: [{ key: taint, operator: "Exists", effect: "NoSchedule" }],
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "main", image: "registry.local/fake:1" }],
    };
    await c.kube.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: "miner" }, spec: { ...podSpec, nodeName: drainNode } },
    });
    await c.kube.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "svc" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "svc" } },
          template: { metadata: { labels: { app: "svc" } }, spec: podSpec },
        },
      },
    });
    await waitForPodRunning(c.kube, ns, "miner");
    const [svc] = await waitForRunningPods(c.kube, ns, "svc", 1);
    const env = makePluginEnv(saKube);
    const event = makeEvent({ "k8s.pod.name": "miner", "k8s.ns.name": ns });
    const rule = loaded.ruleset.rules[0];
    assert.ok(rule);
    for (const action of rule.actions) {
      const r = await runActionner(
        findActionner(action.actionner) as Actionner,
        env,
        event,
        action.parameters,
      );
      assert.equal(r.status, "success", `${action.actionner}: ${r.error}`);
    }
    await waitForPodGone(c.kube, ns, "miner");
    // The Deployment's pod went through the owner reads and min_healthy_replicas.
    await waitForPodGone(c.kube, ns, svc?.metadata?.name as string);
    await assert.rejects(saKube.core.deleteNamespacedPod({ name: "x", namespace: ns }), isForbidden);
  });
});
