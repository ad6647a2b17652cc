/**
 * Reverting kubernetes:label, kubernetes:annotation and kubernetes:cordon against the real API
 * server: the undo record holds exactly what the action changed, a revert restores only that,
 * leaves alone what someone changed since (and a re-created object), writes nothing when there
 * is nothing to restore, and a dry run only reports.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import annotation from "../../src/actionners/kubernetes/annotation/index.js";
import cordon from "../../src/actionners/kubernetes/cordon/index.js";
import label from "../../src/actionners/kubernetes/label/index.js";
import type { KubeClient } from "../../src/kube/client.js";
import { guardedMetadataPatch } from "../../src/kube/patch.js";
import type { Actionner, PluginEnv, RevertResult } from "../../src/plugins/types.js";
import {
  type AuditedClient,
  auditedClient,
  auditText,
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitFor,
  waitForPodGone,
  waitForPodRunning,
} from "../support/k8s.js";

type Field = "labels" | "annotations";

/** The object a suite acts on, and how a person would change it by hand. */
interface Subject {
  kind: "pod" | "node";
  name: string;
  namespace?: string;
  /** `the pod 'p' in the namespace 'n'` / `the node 'n'`. */
  text: string;
  objects: Record<string, string>;
  read(): Promise<V1ObjectMeta>;
  /** A hand edit: each key set to its value, or removed (null). */
  edit(field: Field, values: Record<string, string | null>): Promise<void>;
  /** Deletes the object and creates another of the same name (another uid). */
  recreate(): Promise<void>;
  remove(): Promise<void>;
}

async function createKwokNode(kube: KubeClient, name: string): Promise<void> {
  await kube.core.createNode({
    body: {
      metadata: { name, labels: { "revert-test": "true" }, annotations: { "kwok.x-k8s.io/node": "fake" } },
    },
  });
  await waitFor(`node ${name} ready`, async () => {
    const n = await kube.core.readNode({ name });
    return (n.status?.conditions ?? []).some((x) => x.type === "Ready" && x.status === "True");
  });
}

async function deleteNode(kube: KubeClient, name: string): Promise<void> {
  await kube.core.deleteNode({ name }).catch(() => undefined);
  await waitFor(`node ${name} gone`, async () => {
    try {
      await kube.core.readNode({ name });
      return false;
    } catch (err) {
      return (err as { code?: number }).code === 404;
    }
  });
}

function podSubject(kube: KubeClient, namespace: string, name: string, nodeName: string): Subject {
  const read = async () => (await kube.core.readNamespacedPod({ name, namespace })).metadata ?? {};
  const remove = async () => {
    // A graceful delete: kwok deletes the pod itself. After a forced one, kwok's pending
    // deletion of the old pod (it goes by name) can remove the pod re-created in its place.
    await kube.core.deleteNamespacedPod({ name, namespace }).catch(() => undefined);
    await waitForPodGone(kube, namespace, name);
  };
  return {
    kind: "pod",
    name,
    namespace,
    text: `the pod '${name}' in the namespace '${namespace}'`,
    objects: { pod: name, namespace },
    read,
    async edit(field, values) {
      const body = guardedMetadataPatch(field, (await read())[field], values);
      if (body.length > 0) await kube.core.patchNamespacedPod({ name, namespace, body });
    },
    async recreate() {
      await remove();
      await createPod(kube, namespace, name, nodeName);
      // Until it runs, kwok writes its status and its resourceVersion moves.
      await waitForPodRunning(kube, namespace, name);
    },
    remove,
  };
}

function nodeSubject(kube: KubeClient, name: string): Subject {
  const read = async () => (await kube.core.readNode({ name })).metadata ?? {};
  return {
    kind: "node",
    name,
    text: `the node '${name}'`,
    objects: { node: name },
    read,
    async edit(field, values) {
      const body = guardedMetadataPatch(field, (await read())[field], values);
      if (body.length > 0) await kube.core.patchNode({ name, body });
    },
    async recreate() {
      await deleteNode(kube, name);
      await createKwokNode(kube, name);
    },
    remove: () => deleteNode(kube, name),
  };
}

/** The target an undo record names for the subject, with the uid it has now. */
async function targetOf(s: Subject): Promise<Record<string, string>> {
  const uid = (await s.read()).uid ?? "";
  return s.kind === "pod"
    ? { kind: "pod", namespace: s.namespace ?? "", name: s.name, uid }
    : { kind: "node", name: s.name, uid };
}

/**
 * Runs `fn` (whose requests go through `audited`) and checks it wrote nothing: the API server
 * saw only reads. A resourceVersion can't show it for nodes, whose status kwok keeps updating;
 * for pods it is compared too.
 */
async function withoutWrites<T>(audited: AuditedClient, s: Subject, fn: () => Promise<T>): Promise<T> {
  const rv = s.kind === "pod" ? (await s.read()).resourceVersion : undefined;
  const { value, requests } = await audited.record(fn);
  assert.ok(requests.length > 0, "the revert read the object");
  assert.deepEqual(requests.filter((e) => e.verb !== "get").map(auditText), [], "nothing written");
  if (s.kind === "pod") assert.equal((await s.read()).resourceVersion, rv);
  return value;
}

/** Reverts the record as the engine does: read back through the record schema first. */
async function revert(
  a: Actionner,
  undo: Record<string, unknown> | undefined,
  env: PluginEnv,
  dryRun = false,
): Promise<RevertResult> {
  assert.ok(a.reversible, "the actionner is reversible");
  assert.ok(undo, "the action returned an undo record");
  const record = a.reversible.record.parse(JSON.parse(JSON.stringify(undo)));
  return a.reversible.revert({ undo: record, env, dryRun });
}

/**
 * The same story for a label or annotation map on a pod or node. Before each action the keys
 * are put back by hand to: tier=a, gone=x, keep=same, and `fresh` and `q` absent. The action
 * sets fresh, changes tier, removes gone, adds the prefixed q and leaves keep as it is.
 */
function metadataSuite(
  title: string,
  a: Actionner,
  field: Field,
  level: "pod" | "node",
  setUp: (c: TestCluster) => Promise<{ subject: Subject; event: () => ReturnType<typeof makeEvent> }>,
  tearDown: () => Promise<void>,
) {
  const singular = field === "labels" ? "label" : "annotation";
  const q = field === "labels" ? "example.com/quarantined" : "falco.org/rule";
  const qValue = field === "labels" ? "yes" : "Terminal shell in container: ü ../ %2e";
  const initial = { tier: "a", gone: "x", keep: "same", fresh: null, [q]: null };
  const wanted = { fresh: "true", tier: "b", gone: "", keep: "same", [q]: qValue };

  describe(title, () => {
    let c: TestCluster;
    let s: Subject;
    let ev: () => ReturnType<typeof makeEvent>;
    let env: PluginEnv;
    let audited: AuditedClient;
    before(async () => {
      c = await getTestCluster();
      ({ subject: s, event: ev } = await setUp(c));
      audited = await auditedClient(c, `revert-${level}-${singular}`);
      env = makePluginEnv(audited.kube);
    });
    after(async () => {
      await audited?.dispose();
      await tearDown();
    });

    const about = (k: string) => `${singular} '${k}' on ${s.text}`;
    const act = async (params: Record<string, unknown> = wanted, actEnv = env) => {
      const r = await runActionner(a, actEnv, ev(), { [field]: params, level });
      assert.equal(r.status, "success", r.error);
      return r;
    };
    const values = async () => {
      const m = (await s.read())[field] ?? {};
      return Object.fromEntries(
        ["tier", "gone", "keep", "fresh", q].map((k) => [k, Object.hasOwn(m, k) ? m[k] : null]),
      );
    };
    const unwritten = <T>(fn: () => Promise<T>) => withoutWrites(audited, s, fn);

    it("records exactly the keys it changed; a revert restores them; a second revert writes nothing", async () => {
      await s.edit(field, initial);
      const r = await act();
      assert.deepEqual(r.undo, {
        target: await targetOf(s),
        changes: {
          fresh: { previous: null, written: "true" },
          tier: { previous: "a", written: "b" },
          gone: { previous: "x", written: null },
          [q]: { previous: null, written: qValue },
        },
      });
      assert.deepEqual(await values(), { tier: "b", gone: null, keep: "same", fresh: "true", [q]: qValue });

      assert.deepEqual(await revert(a, r.undo, env), {
        status: "success",
        reverted: [
          `${about("fresh")} removed (absent before the action)`,
          `${about("tier")} set back to 'a'`,
          `${about("gone")} set back to 'x'`,
          `${about(q)} removed (absent before the action)`,
        ],
        unchanged: [],
        conflicts: [],
        objects: s.objects,
      });
      assert.deepEqual(await values(), { tier: "a", gone: "x", keep: "same", fresh: null, [q]: null });

      assert.deepEqual(await unwritten(() => revert(a, r.undo, env)), {
        status: "success",
        reverted: [],
        unchanged: [
          `${about("fresh")} is already absent`,
          `${about("tier")} is already 'a'`,
          `${about("gone")} is already 'x'`,
          `${about(q)} is already absent`,
        ],
        conflicts: [],
        objects: s.objects,
      });
    });

    it("leaves alone a key someone changed since, and restores the others", async () => {
      await s.edit(field, initial);
      const r = await act();
      // By hand: tier changed again, fresh removed, gone put back as it was.
      await s.edit(field, { tier: "c", fresh: null, gone: "x" });
      const result = await revert(a, r.undo, env);
      assert.deepEqual(result, {
        status: "conflict",
        reverted: [`${about(q)} removed (absent before the action)`],
        unchanged: [`${about("fresh")} is already absent`, `${about("gone")} is already 'x'`],
        conflicts: [`${about("tier")} is now 'c' (the action set 'b'): left alone`],
        objects: s.objects,
      });
      assert.deepEqual(await values(), { tier: "c", gone: "x", keep: "same", fresh: null, [q]: null });
      // Again: the same conflict, nothing written.
      const again = await unwritten(() => revert(a, r.undo, env));
      assert.equal(again.status, "conflict");
      assert.deepEqual(again.reverted, []);

      // A key the action removed that someone set to another value is theirs too.
      await s.edit(field, initial);
      const r2 = await act();
      await s.edit(field, { gone: "y" });
      const result2 = await revert(a, r2.undo, env);
      assert.equal(result2.status, "conflict");
      assert.deepEqual(result2.conflicts, [
        `${about("gone")} is now 'y' (the action removed it): left alone`,
      ]);
      assert.deepEqual(await values(), { tier: "a", gone: "y", keep: "same", fresh: null, [q]: null });
    });

    it("a dry-run revert reads, writes nothing and says what it would do", async () => {
      await s.edit(field, initial);
      const r = await act();
      await s.edit(field, { tier: "c" });
      assert.deepEqual(await unwritten(() => revert(a, r.undo, env, true)), {
        status: "conflict",
        reverted: [
          `would remove ${about("fresh")} (absent before the action)`,
          `would set ${about("gone")} back to 'x'`,
          `would remove ${about(q)} (absent before the action)`,
        ],
        unchanged: [],
        conflicts: [`${about("tier")} is now 'c' (the action set 'b'): left alone`],
        objects: s.objects,
      });
      assert.deepEqual(await values(), { tier: "c", gone: null, keep: "same", fresh: "true", [q]: qValue });
      assert.equal((await revert(a, r.undo, env)).status, "conflict");
      assert.deepEqual(await values(), { tier: "c", gone: "x", keep: "same", fresh: null, [q]: null });
    });

    it("no undo record when nothing changed, nor under a server dry run", async () => {
      await s.edit(field, initial);
      let r = await act({ keep: "same", fresh: "" });
      assert.equal(r.undo, undefined);
      r = await act(wanted, makePluginEnv(c.kube, { dryRun: "server" }));
      assert.equal(r.undo, undefined);
      assert.deepEqual(await values(), { tier: "a", gone: "x", keep: "same", fresh: null, [q]: null });
    });

    it("a change between the revert's read and its write fails the guarded patch: it re-reads", async () => {
      await s.edit(field, initial);
      const r = await act();
      // The first patch the revert sends is preceded by someone changing tier.
      let raced = false;
      const method = s.kind === "pod" ? "patchNamespacedPod" : "patchNode";
      const core = new Proxy(c.kube.core, {
        get(target, prop) {
          const v = Reflect.get(target, prop);
          if (typeof v !== "function") return v;
          if (prop !== method) return v.bind(target);
          return async (...args: unknown[]) => {
            if (!raced) {
              raced = true;
              await s.edit(field, { tier: "d" });
            }
            return v.apply(target, args);
          };
        },
      });
      const racedEnv = makePluginEnv({ ...c.kube, core });
      const result = await revert(a, r.undo, racedEnv);
      assert.ok(raced);
      assert.equal(result.status, "conflict");
      assert.deepEqual(result.conflicts, [`${about("tier")} is now 'd' (the action set 'b'): left alone`]);
      assert.equal(result.reverted.length, 3);
      assert.deepEqual(await values(), { tier: "d", gone: "x", keep: "same", fresh: null, [q]: null });
    });

    it("a re-created object of the same name is left alone; a deleted one has nothing to restore", async () => {
      await s.edit(field, initial);
      const r = await act();
      await s.recreate();
      await s.edit(field, { tier: "b", fresh: "true" });
      assert.deepEqual(await unwritten(() => revert(a, r.undo, env)), {
        status: "conflict",
        reverted: [],
        unchanged: [],
        conflicts: [`${s.text} was deleted and re-created since: left alone`],
        objects: s.objects,
      });
      assert.equal((await values()).fresh, "true");
      await s.remove();
      assert.deepEqual(await revert(a, r.undo, env, true), {
        status: "conflict",
        reverted: [],
        unchanged: [],
        conflicts: [`${s.text} no longer exists: nothing to restore`],
        objects: s.objects,
      });
    });
  });
}

let labelNs = "";
metadataSuite(
  "revert kubernetes:label (pod)",
  label,
  "labels",
  "pod",
  async (c) => {
    labelNs = await createNamespace(c.kube, "revert-label");
    const node = c.nodeNames[0] as string;
    await createPod(c.kube, labelNs, "target", node);
    await waitForPodRunning(c.kube, labelNs, "target");
    return {
      subject: podSubject(c.kube, labelNs, "target", node),
      event: () => makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": labelNs }),
    };
  },
  async () => {
    const c = await getTestCluster();
    if (labelNs) await deleteNamespace(c.kube, labelNs);
  },
);

let annotationNs = "";
metadataSuite(
  "revert kubernetes:annotation (pod)",
  annotation,
  "annotations",
  "pod",
  async (c) => {
    annotationNs = await createNamespace(c.kube, "revert-annotation");
    const node = c.nodeNames[1] ?? (c.nodeNames[0] as string);
    await createPod(c.kube, annotationNs, "target", node);
    await waitForPodRunning(c.kube, annotationNs, "target");
    return {
      subject: podSubject(c.kube, annotationNs, "target", node),
      event: () => makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": annotationNs }),
    };
  },
  async () => {
    const c = await getTestCluster();
    if (annotationNs) await deleteNamespace(c.kube, annotationNs);
  },
);

// A node of its own: its labels change, and it is deleted and re-created.
const labelNode = `revert-label-${process.pid}`;
let labelNodeNs = "";
metadataSuite(
  "revert kubernetes:label (node)",
  label,
  "labels",
  "node",
  async (c) => {
    labelNodeNs = await createNamespace(c.kube, "revert-label-node");
    await createKwokNode(c.kube, labelNode);
    await createPod(c.kube, labelNodeNs, "target", labelNode);
    await waitForPodRunning(c.kube, labelNodeNs, "target");
    return {
      subject: nodeSubject(c.kube, labelNode),
      event: () => makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": labelNodeNs }),
    };
  },
  async () => {
    const c = await getTestCluster();
    if (labelNodeNs) await deleteNamespace(c.kube, labelNodeNs);
    await c.kube.core.deleteNode({ name: labelNode }).catch(() => undefined);
  },
);

describe("revert kubernetes:cordon", () => {
  let c: TestCluster;
  let ns: string;
  let env: PluginEnv;
  let audited: AuditedClient;
  // A node of its own, so cordoning it does not disturb other suites.
  const nodeName = `revert-cordon-${process.pid}`;
  const node = `the node '${nodeName}'`;
  before(async () => {
    c = await getTestCluster();
    audited = await auditedClient(c, "revert-cordon");
    env = makePluginEnv(audited.kube);
    ns = await createNamespace(c.kube, "revert-cordon");
    await createKwokNode(c.kube, nodeName);
    await createPod(c.kube, ns, "victim", nodeName);
    await waitForPodRunning(c.kube, ns, "victim");
  });
  after(async () => {
    if (!c) return;
    await audited?.dispose();
    if (ns) await deleteNamespace(c.kube, ns);
    await c.kube.core.deleteNode({ name: nodeName }).catch(() => undefined);
  });
  const ev = () => makeEvent({ "k8s.pod.name": "victim", "k8s.ns.name": ns });
  const subject = { kind: "node" } as Subject;
  const unwritten = <T>(fn: () => Promise<T>) => withoutWrites(audited, subject, fn);
  const read = () => c.kube.core.readNode({ name: nodeName });
  const setUnschedulable = async (value: boolean) => {
    await c.kube.core.patchNode({
      name: nodeName,
      body: [
        value
          ? { op: "add", path: "/spec/unschedulable", value }
          : { op: "remove", path: "/spec/unschedulable" },
      ],
    });
  };
  const act = async (actEnv = env) => {
    const r = await runActionner(cordon, actEnv, ev());
    assert.equal(r.status, "success", r.error);
    return r;
  };

  it("records the node and its previous state; a revert uncordons it; a second one writes nothing", async () => {
    const r = await act();
    const uid = (await read()).metadata?.uid;
    assert.deepEqual(r, {
      status: "success",
      output: `the node '${nodeName}' has been cordoned`,
      objects: { node: nodeName },
      undo: { target: { kind: "node", name: nodeName, uid }, previous_unschedulable: null },
    });
    assert.equal((await read()).spec?.unschedulable, true);
    assert.deepEqual(await revert(cordon, r.undo, env), {
      status: "success",
      reverted: [`${node} uncordoned (spec.unschedulable removed)`],
      unchanged: [],
      conflicts: [],
      objects: { node: nodeName },
    });
    assert.equal((await read()).spec?.unschedulable, undefined);
    assert.deepEqual(await unwritten(() => revert(cordon, r.undo, env)), {
      status: "success",
      reverted: [],
      unchanged: [`${node} is already schedulable`],
      conflicts: [],
      objects: { node: nodeName },
    });
  });

  it("no undo record when the node was already cordoned, nor under a server dry run", async () => {
    await setUnschedulable(true);
    assert.equal((await act()).undo, undefined);
    await setUnschedulable(false);
    assert.equal((await act(makePluginEnv(c.kube, { dryRun: "server" }))).undo, undefined);
    assert.notEqual((await read()).spec?.unschedulable, true);
  });

  it("a node uncordoned by hand since is already as before: unchanged", async () => {
    const r = await act();
    await setUnschedulable(false);
    const result = await revert(cordon, r.undo, env);
    assert.equal(result.status, "success");
    assert.deepEqual(result.unchanged, [`${node} is already schedulable`]);
  });

  it("a dry-run revert reads, writes nothing and says what it would do", async () => {
    const r = await act();
    assert.deepEqual(await unwritten(() => revert(cordon, r.undo, env, true)), {
      status: "success",
      reverted: [`would uncordon ${node} (remove spec.unschedulable)`],
      unchanged: [],
      conflicts: [],
      objects: { node: nodeName },
    });
    assert.equal((await read()).spec?.unschedulable, true);
    assert.equal((await revert(cordon, r.undo, env)).status, "success");
    assert.equal((await read()).spec?.unschedulable, undefined);
  });

  it("a re-created node of the same name is left alone; a deleted one has nothing to restore", async () => {
    const r = await act();
    await deleteNode(c.kube, nodeName);
    await createKwokNode(c.kube, nodeName);
    await setUnschedulable(true);
    assert.deepEqual(await unwritten(() => revert(cordon, r.undo, env)), {
      status: "conflict",
      reverted: [],
      unchanged: [],
      conflicts: [`${node} was deleted and re-created since: left alone`],
      objects: { node: nodeName },
    });
    assert.equal((await read()).spec?.unschedulable, true);
    await deleteNode(c.kube, nodeName);
    const gone = await revert(cordon, r.undo, env);
    assert.equal(gone.status, "conflict");
    assert.deepEqual(gone.conflicts, [`${node} no longer exists: nothing to restore`]);
  });
});
