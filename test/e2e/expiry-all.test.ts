/**
 * End to end: `revert_after` of every reversible actionner through real `falco-talon server`
 * processes and the real API server. One rule runs all seven on a ReplicaSet's pod on a kwok node
 * of its own; the server that acted goes away before the expiry (stopped, with the audit file;
 * killed -9, with two replicas on NATS) and the expiry in the other server puts the cluster back:
 * each action reverted once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { V1Taint } from "@kubernetes/client-node";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { readAuditStream } from "../../src/audit/jetstream.js";
import type { StoredAction } from "../../src/undo/action.js";
import {
  createNamespace,
  deleteNamespace,
  getTestCluster,
  type TestCluster,
  waitFor,
} from "../support/k8s.js";
import { type NatsCluster, startNats } from "../support/nats.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

type Log = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Long enough for seven actions, the wait for their records and the stop (or kill) of the server
 * that acted on a loaded machine, all before the first expiry; checked, not assumed.
 */
const REVERT_AFTER_S = 15;
const REMOTE_IP = "203.0.113.7";
const TAINT: V1Taint = { key: "falco-talon-test/expiry-all", value: "true", effect: "NoSchedule" };
const Q = "falco-talon/quarantine";
/** The rule's actions, in the order it runs them; quarantine last, as it takes the selector labels off. */
const ACTIONNERS = [
  "kubernetes:label",
  "kubernetes:annotation",
  "kubernetes:cordon",
  "kubernetes:networkpolicy",
  "calico:networkpolicy",
  "cilium:networkpolicy",
  "kubernetes:quarantine",
];
const CRDS = [
  { apiVersion: "projectcalico.org/v3", kind: "NetworkPolicy" },
  { apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy" },
];

const rules = (ns: string) => `
- rule: Contain everything
  match:
    output_fields: [k8s.ns.name=${ns}]
  actions:
    - action: label
      actionner: kubernetes:label
      parameters:
        labels: {suspicious: "true", tier: isolated}
        revert_after: ${REVERT_AFTER_S}s
    - action: annotate
      actionner: kubernetes:annotation
      parameters:
        annotations: {security/reason: shell, owner: security}
        revert_after: ${REVERT_AFTER_S}s
    - action: cordon
      actionner: kubernetes:cordon
      parameters:
        revert_after: ${REVERT_AFTER_S}s
    - action: deny egress
      actionner: kubernetes:networkpolicy
      parameters:
        revert_after: ${REVERT_AFTER_S}s
    - action: calico deny
      actionner: calico:networkpolicy
      parameters:
        revert_after: ${REVERT_AFTER_S}s
    - action: cilium deny
      actionner: cilium:networkpolicy
      parameters:
        revert_after: ${REVERT_AFTER_S}s
    - action: quarantine
      actionner: kubernetes:quarantine
      parameters:
        detach: true
        revert_after: ${REVERT_AFTER_S}s
`;

/** What the actions change, as it was before them. */
interface Snapshot {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  unschedulable: boolean;
  taints: V1Taint[];
  policies: string[];
}

/** A ReplicaSet of one pod on a node of its own, and a Service selecting it. */
interface Scene {
  ns: string;
  node: string;
  pod: string;
  uid: string;
  before: Snapshot;
}

describe("revert_after of every reversible actionner (end to end)", () => {
  let cluster: TestCluster;
  let dir: string;
  const namespaces: string[] = [];
  const nodes: string[] = [];
  const started: ServerProcess[] = [];
  let nats: NatsCluster | undefined;
  let nc: Awaited<ReturnType<typeof connect>> | undefined;

  before(async () => {
    cluster = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), "falco-talon-expiry-all-"));
  });
  after(async () => {
    for (const s of started) await s.stop("SIGKILL");
    await nc?.close();
    await nats?.stop();
    if (!cluster) return;
    for (const ns of namespaces) await deleteNamespace(cluster.kube, ns);
    for (const node of nodes) await cluster.kube.core.deleteNode({ name: node }).catch(() => undefined);
  });

  const readPod = (s: Scene) => cluster.kube.core.readNamespacedPod({ name: s.pod, namespace: s.ns });
  const readNode = (s: Scene) => cluster.kube.core.readNode({ name: s.node });

  /** Every policy of the three kinds in the namespace, as `kind/name`, sorted. */
  async function policies(ns: string): Promise<string[]> {
    const np = await cluster.kube.networking.listNamespacedNetworkPolicy({ namespace: ns });
    const out = np.items.map((p) => `NetworkPolicy/${p.metadata?.name}`);
    for (const { apiVersion, kind } of CRDS) {
      const list = await cluster.kube.objects.list(apiVersion, kind, ns);
      out.push(...list.items.map((p) => `${apiVersion}/${kind}/${p.metadata?.name}`));
    }
    return out.sort();
  }

  async function snapshot(s: Omit<Scene, "before">): Promise<Snapshot> {
    const pod = await cluster.kube.core.readNamespacedPod({ name: s.pod, namespace: s.ns });
    const node = await cluster.kube.core.readNode({ name: s.node });
    return {
      labels: pod.metadata?.labels ?? {},
      annotations: pod.metadata?.annotations ?? {},
      unschedulable: node.spec?.unschedulable === true,
      taints: JSON.parse(JSON.stringify(node.spec?.taints ?? [])) as V1Taint[],
      policies: await policies(s.ns),
    };
  }

  async function scene(label: string): Promise<Scene> {
    // A node of its own, so that the cordon disturbs no other suite; its taint keeps other
    // suites' pods off it (they would go with it when it is deleted).
    const node = `expiry-all-${label}-${process.pid}`;
    await cluster.kube.core.createNode({
      body: {
        metadata: { name: node, annotations: { "kwok.x-k8s.io/node": "fake" } },
        spec: { taints: [TAINT] },
      },
    });
    nodes.push(node);
    // Ready, and without the not-ready taint the node controller puts on a new node for a
    // while: the snapshot of the node's taints is taken after.
    await waitFor(
      `node ${node} ready`,
      async () => {
        const n = await cluster.kube.core.readNode({ name: node });
        const ready = (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
        return ready && (n.spec?.taints ?? []).every((t) => t.key === TAINT.key);
      },
      60_000,
    );
    const ns = await createNamespace(cluster.kube, `expiry-all-${label}`);
    namespaces.push(ns);
    await cluster.kube.apps.createNamespacedReplicaSet({
      namespace: ns,
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web", tier: "frontend" }, annotations: { owner: "team-a" } },
            spec: {
              nodeName: node,
              tolerations: [{ key: TAINT.key, operator: "Exists" }],
              terminationGracePeriodSeconds: 30,
              containers: [{ name: "main", image: "registry.local/fake:1" }],
            },
          },
        },
      },
    });
    await cluster.kube.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } },
    });
    const pod = await waitFor(
      "the ReplicaSet's pod running",
      async () =>
        (await cluster.kube.core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items.find(
          (p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp,
        ),
      60_000,
    );
    const s = { ns, node, pod: pod.metadata?.name ?? "", uid: pod.metadata?.uid ?? "" };
    // Retried: right after the API server starts, lists of custom resources answer 429 for a while.
    const before = await waitFor("a snapshot of the scene", () => snapshot(s));
    assert.deepEqual(before.policies, [], "no policy before the actions");
    assert.equal(before.unschedulable, false);
    return { ...s, before };
  }

  const post = async (server: ServerProcess, s: Scene) => {
    const res = await server.post(
      JSON.stringify({
        rule: "Terminal shell in container",
        priority: "Warning",
        output: `shell in ${s.pod}`,
        output_fields: { "k8s.pod.name": s.pod, "k8s.ns.name": s.ns, "fd.rip": REMOTE_IP },
      }),
    );
    assert.equal(res.status, 200, res.text);
  };

  /** The rule's seven action lines (each a success with its id and revert_at), by actionner. */
  async function actions(
    servers: ServerProcess[],
  ): Promise<{ server: ServerProcess; byActionner: Map<string, Log> }> {
    const finished = (s: ServerProcess) =>
      s.logs.filter((l) => l.message === "action" && l.status !== "in_progress");
    const server = await waitFor(
      "the seven actions",
      async () => servers.find((s) => finished(s).length >= ACTIONNERS.length),
      60_000,
    );
    const lines = finished(server);
    const failed = lines.filter((l) => l.status !== "success");
    assert.deepEqual(failed, [], "every action succeeded");
    const byActionner = new Map(lines.map((l) => [String(l.actionner), l]));
    assert.deepEqual([...byActionner.keys()], ACTIONNERS);
    for (const [actionner, l] of byActionner) {
      assert.match(String(l.action_id), /^[0-9a-f]{20}$/, actionner);
      assert.equal(typeof l.revert_at, "string", `${actionner} has a revert_at`);
    }
    assert.equal(new Set(lines.map((l) => l.action_id)).size, ACTIONNERS.length);
    return { server, byActionner };
  }

  /** The earliest revert_at of the actions, in ms. */
  const firstExpiry = (byActionner: Map<string, Log>) =>
    Math.min(...[...byActionner.values()].map((l) => Date.parse(String(l.revert_at))));

  /**
   * The cluster as the seven actions left it. The ReplicaSet's replacement of the quarantined
   * pod is made the cheaper one to delete, so that once the pod is adopted back it is the
   * replacement that goes.
   */
  async function assertChanged(s: Scene): Promise<void> {
    const pod = await readPod(s);
    const labels = pod.metadata?.labels ?? {};
    assert.equal(labels.suspicious, "true");
    assert.equal(labels.tier, "isolated");
    assert.equal(labels.app, undefined, "quarantine took the selector label off");
    assert.match(labels[Q] ?? "", /^[0-9a-f]{16}$/);
    const notes = pod.metadata?.annotations ?? {};
    assert.equal(notes["security/reason"], "shell");
    assert.equal(notes.owner, "security");
    assert.deepEqual(JSON.parse(notes["falco-talon/quarantine-labels"] ?? "null"), { app: "web" });
    assert.equal((await readNode(s)).spec?.unschedulable, true, "the node is cordoned");
    assert.deepEqual(await policies(s.ns), [
      `NetworkPolicy/quarantine-${s.pod}`,
      "NetworkPolicy/web",
      "cilium.io/v2/CiliumNetworkPolicy/web",
      "projectcalico.org/v3/NetworkPolicy/web",
    ]);
    const replacement = await waitFor(
      "the ReplicaSet's replacement of the quarantined pod",
      async () =>
        (await cluster.kube.core.listNamespacedPod({ namespace: s.ns, labelSelector: "app=web" })).items.find(
          (p) => p.metadata?.uid !== s.uid && !p.metadata?.deletionTimestamp,
        ),
      60_000,
    );
    await cluster.kube.core.patchNamespacedPod({
      name: replacement.metadata?.name ?? "",
      namespace: s.ns,
      body: [
        {
          op: "add",
          path: "/metadata/annotations",
          value: { "controller.kubernetes.io/pod-deletion-cost": "-1000" },
        },
      ],
    });
  }

  /** The cluster as it was before the actions; the ReplicaSet owns the pod again, and only it. */
  async function assertRestored(s: Scene): Promise<void> {
    const now = await waitFor(
      "the pod, node and policies as before",
      async () => {
        const snap = await snapshot(s);
        return JSON.stringify(snap) === JSON.stringify(s.before) ? snap : undefined;
      },
      60_000,
    ).catch(async (err: Error) => {
      // The difference says more than the timeout.
      assert.deepEqual(await snapshot(s), s.before, err.message);
      throw err;
    });
    assert.deepEqual(now, s.before);
    await waitFor(
      "the ReplicaSet to adopt the pod back and drop its replacement",
      async () => {
        const pods = (await cluster.kube.core.listNamespacedPod({ namespace: s.ns })).items.filter(
          (p) => !p.metadata?.deletionTimestamp,
        );
        return (
          pods.length === 1 &&
          pods[0]?.metadata?.uid === s.uid &&
          (pods[0].metadata.ownerReferences ?? []).some(
            (o) => o.controller && o.kind === "ReplicaSet" && o.name === "web",
          )
        );
      },
      60_000,
    );
  }

  /** The revert lines of the actions over all servers: exactly one each, a success on expiry. */
  function assertRevertedOnce(servers: ServerProcess[], byActionner: Map<string, Log>, by: ServerProcess) {
    for (const [actionner, acted] of byActionner) {
      const lines = servers.flatMap((s) =>
        s.logs.filter((l) => l.message === "revert" && l.action_id === acted.action_id),
      );
      assert.equal(lines.length, 1, `${actionner}: ${JSON.stringify(lines)}`);
      const [line] = lines as [Log];
      assert.equal(line.status, "success", `${actionner}: ${JSON.stringify(line)}`);
      assert.equal(line.trigger, "expiry", actionner);
      assert.equal(line.actionner, actionner);
      assert.ok(by.logs.includes(line), `${actionner}: reverted by the server that took over`);
    }
  }

  /** Waits for the seven revert lines of `server`. */
  const reverts = (server: ServerProcess, byActionner: Map<string, Log>) =>
    waitFor(
      "the seven reverts",
      async () => {
        const ids = new Set([...byActionner.values()].map((l) => l.action_id));
        const lines = server.logs.filter((l) => l.message === "revert" && ids.has(l.action_id));
        return lines.length >= ids.size ? lines : undefined;
      },
      (REVERT_AFTER_S + 60) * 1000,
    );

  /** Runs `check` on the cluster as the actions left it, saying so when the expiry came first. */
  async function beforeExpiry(expiry: number, what: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (err) {
      if (Date.now() < expiry) throw err;
      const why = `the machine is too slow: the expiry came before ${what} (revert_after ${REVERT_AFTER_S}s)`;
      throw new Error(why, { cause: err });
    }
  }

  it("with the audit file: a server reverts all seven on revert_after after the one that acted stopped", async (t) => {
    const s = await scene("file");
    const auditFile = join(dir, "audit.jsonl");
    const config = `
rules_files: [$DIR/rules.yaml]
watch_rules: false
kubeconfig: ${cluster.kubeconfigPath}
audit:
  file: ${auditFile}
`;
    const start = async () => {
      const server = await startServerProcess({ config, rules: { "rules.yaml": rules(s.ns) } });
      started.push(server);
      return server;
    };

    const first = await start();
    await post(first, s);
    const { byActionner } = await actions([first]);
    const expiry = firstExpiry(byActionner);
    assert.equal(await first.stop(), 0);
    t.diagnostic(`stopped ${((expiry - Date.now()) / 1000).toFixed(1)}s before the first expiry`);
    assert.deepEqual(
      first.logs.filter((l) => l.message === "revert"),
      [],
      `the machine is too slow: the first server reverted before it stopped (revert_after ${REVERT_AFTER_S}s)`,
    );
    // The cluster stays as the actions left it while no server runs.
    await assertChanged(s);

    const second = await start();
    const lines = await reverts(second, byActionner);
    assert.ok(Date.now() >= expiry, "not reverted before revert_at");
    for (const l of lines) assert.equal(l.status, "success", JSON.stringify(l));
    await assertRestored(s);
    // A few more expiry passes (one a second): none reverts anything again.
    await sleep(3000);
    assertRevertedOnce([first, second], byActionner, second);
    assert.equal(await second.stop(), 0);

    const audited = readFileSync(auditFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Log)
      .filter((e) => e.message === "revert");
    assert.deepEqual(
      audited.map((e) => [e.actionner, e.trigger, e.status]),
      ACTIONNERS.map((a) => [a, "expiry", "success"]),
      "the audit file has one expiry revert per action, oldest first",
    );
  });

  it("on NATS: the surviving replica reverts all seven once after the one that acted is killed -9", async (t) => {
    const s = await scene("nats");
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const stream = `EXPIRYALL${process.pid}`;
    const config = `
listen_address: 127.0.0.1
rules_files: [$DIR/rules.yaml]
watch_rules: false
kubeconfig: ${cluster.kubeconfigPath}
queue:
  shutdown_timeout_seconds: 5
  nats:
    url: "${nats.url}"
    stream: ${stream}
    partitions: 4
    ack_wait_seconds: 5
`;
    // One after the other: both would create the same streams and consumers at once.
    const replicas: ServerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const server = await startServerProcess({ config, rules: { "rules.yaml": rules(s.ns) } });
      started.push(server);
      replicas.push(server);
    }
    const kvJson = async <T>(bucket: string, key: string): Promise<T | undefined> => {
      const entry = await (await new Kvm(nc!).open(bucket)).get(key);
      return entry?.operation === "PUT" ? entry.json<T>() : undefined;
    };
    const undoRecord = (id: unknown) => kvJson<StoredAction>(`${stream}_UNDO`, String(id));

    await post(replicas[0]!, s);
    // Either replica may pull the event from the shared stream: the one that acted is killed.
    const { server: actor, byActionner } = await actions(replicas);
    const survivor = actor === replicas[0] ? replicas[1]! : replicas[0]!;
    const expiry = firstExpiry(byActionner);

    // Killed only once the actions are in the shared bucket and their event is marked done:
    // else the kill could lose a record, or the survivor would run the event again.
    await beforeExpiry(expiry, "the kill", async () => {
      const records = [];
      for (const [actionner, l] of byActionner)
        records.push(await waitFor(`the undo record of ${actionner}`, () => undoRecord(l.action_id)));
      const eventIds = new Set(records.map((r) => r.event_id));
      assert.equal(eventIds.size, 1, "one event");
      for (const r of records) assert.equal(r.replica.split(":")[1], String(actor.proc.pid));
      await waitFor(
        "the event marked done",
        async () => (await kvJson<{ state: string }>(`${stream}_done`, [...eventIds][0]!))?.state === "done",
      );
    });
    assert.ok(
      Date.now() + 1000 < expiry,
      `the machine is too slow: the expiry is due before the kill (revert_after ${REVERT_AFTER_S}s)`,
    );
    assert.equal(await actor.stop("SIGKILL"), null);
    t.diagnostic(`killed ${((expiry - Date.now()) / 1000).toFixed(1)}s before the first expiry`);
    assert.deepEqual(
      replicas.flatMap((r) => r.logs.filter((l) => l.message === "revert")),
      [],
      "nothing reverted before the kill",
    );
    await beforeExpiry(expiry, "the cluster was checked", () => assertChanged(s));

    const lines = await reverts(survivor, byActionner);
    assert.ok(Date.now() >= expiry, "not reverted before revert_at");
    for (const l of lines) assert.equal(l.status, "success", JSON.stringify(l));
    await assertRestored(s);
    await sleep(3000);
    assertRevertedOnce(replicas, byActionner, survivor);

    const auditedReverts = async () => {
      const out = new Map<unknown, Log[]>();
      for await (const line of readAuditStream({ servers: [nats!.url], stream: `${stream}_AUDIT` })) {
        const e = JSON.parse(line) as Log;
        if (e.message === "revert") out.set(e.action_id, [...(out.get(e.action_id) ?? []), e]);
      }
      return out;
    };
    const audited = await waitFor("the seven audited reverts", async () => {
      const m = await auditedReverts();
      return m.size >= ACTIONNERS.length ? m : undefined;
    });
    for (const [actionner, l] of byActionner) {
      const kept = await undoRecord(l.action_id);
      assert.equal(kept?.revert?.status, "success", `${actionner}: ${JSON.stringify(kept?.revert)}`);
      assert.equal(kept?.revert?.trigger, "expiry", actionner);
      assert.equal(kept?.revert?.replica.split(":")[1], String(survivor.proc.pid), actionner);
      const entries = audited.get(l.action_id) ?? [];
      assert.equal(entries.length, 1, `${actionner}: one audited revert: ${JSON.stringify(entries)}`);
      assert.equal(entries[0]!.trigger, "expiry");
      assert.equal(entries[0]!.status, "success");
    }
    assert.equal(await survivor.stop(), 0);
  });
});
