/**
 * Reverting kubernetes:networkpolicy, calico:networkpolicy and cilium:networkpolicy against the
 * real API server (with the real CRDs): a policy the action created is deleted, one it replaced
 * gets its spec and labels back, and a policy changed by someone since (before the revert or
 * while it runs) is left alone. Requests are checked in the API server's audit log.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import calico from "../../src/actionners/calico/networkpolicy/index.js";
import cilium from "../../src/actionners/cilium/networkpolicy/index.js";
import networkpolicy from "../../src/actionners/kubernetes/networkpolicy/index.js";
import type { KubeClient } from "../../src/kube/client.js";
import type { Actionner, ActionResult, PluginEnv, RevertResult } from "../../src/plugins/types.js";
import {
  type AuditedClient,
  auditedClient,
  auditText,
  createDeployment,
  createNamespace,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitForRunningPods,
} from "../support/k8s.js";

/** Generated client models are class instances; compare their JSON. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null));

type Policy = KubernetesObject & { spec?: Record<string, unknown> };

interface Case {
  actionner: Actionner;
  apiVersion: string;
  kind: string;
  /** How revert lines name the policy `web` in the test namespace. */
  text: (ns: string) => string;
  /** Two events' actions on the same workload: the second updates the policy the first made. */
  first: { params: Record<string, unknown>; rip: string };
  second: { params: Record<string, unknown>; rip: string };
  /** Someone's change of the spec. */
  edit: (spec: Record<string, unknown>) => Record<string, unknown>;
  /**
   * A policy that exists before the action, in the client's form (the typed client's ingress
   * `from` is `_from`), with an ingress rule the action's spec does not have.
   */
  existing: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    actionner: networkpolicy as unknown as Actionner,
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    text: (ns) => `the NetworkPolicy 'web' in the namespace '${ns}'`,
    first: { params: {}, rip: "203.0.113.1" },
    second: { params: { allow_cidr: ["192.168.0.0/16"] }, rip: "203.0.113.1" },
    edit: (spec) => ({ ...spec, egress: [{ to: [{ ipBlock: { cidr: "198.51.100.0/24" } }] }] }),
    existing: {
      podSelector: { matchLabels: { app: "web" } },
      policyTypes: ["Ingress"],
      ingress: [{ _from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }],
    },
  },
  {
    actionner: calico as unknown as Actionner,
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    text: (ns) => `the NetworkPolicy (projectcalico.org/v3) 'web' in the namespace '${ns}'`,
    first: { params: { order: 20 }, rip: "203.0.113.1" },
    second: { params: { order: 20 }, rip: "203.0.113.2" },
    edit: (spec) => ({ ...spec, order: 99 }),
    existing: {
      order: 5,
      selector: 'app == "web"',
      types: ["Ingress"],
      ingress: [{ action: "Allow", source: { nets: ["10.0.0.0/8"] } }],
    },
  },
  {
    actionner: cilium as unknown as Actionner,
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    text: (ns) => `the CiliumNetworkPolicy (cilium.io/v2) 'web' in the namespace '${ns}'`,
    first: { params: {}, rip: "203.0.113.1" },
    second: { params: {}, rip: "2001:db8::7" },
    edit: (spec) => ({ ...spec, description: "edited by hand" }),
    existing: {
      description: "written by hand",
      endpointSelector: { matchLabels: { app: "web" } },
      ingress: [{ fromEndpoints: [{ matchLabels: { app: "client" } }] }],
    },
  },
];

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/**
 * The cluster as a revert sees it, except that someone changes the policy right after the
 * revert's first read of it: the revert's guarded write must then fail and leave the change.
 */
function racingKube(kube: KubeClient, change: () => Promise<void>): KubeClient {
  let raced = false;
  const afterFirstRead = <T extends object>(target: T, method: string): T =>
    new Proxy(target, {
      get(t, p) {
        const v = Reflect.get(t, p, t);
        if (typeof v !== "function") return v;
        if (p !== method) return v.bind(t);
        return async (...args: unknown[]) => {
          const result = await v.apply(t, args);
          if (!raced) {
            raced = true;
            await change();
          }
          return result;
        };
      },
    });
  return {
    ...kube,
    objects: afterFirstRead(kube.objects, "read"),
    networking: afterFirstRead(kube.networking, "readNamespacedNetworkPolicy"),
  };
}

describe("reverting the network policy actionners", () => {
  let c: TestCluster;
  let audited: AuditedClient;
  let ns: string;
  let webPod: string;
  before(async () => {
    c = await getTestCluster();
    audited = await auditedClient(c, "revert-netpol");
    ns = await createNamespace(c.kube, "revert-netpol");
    await createDeployment(c.kube, ns, "web", 1);
    const [pod] = await waitForRunningPods(c.kube, ns, "web", 1);
    webPod = pod?.metadata?.name as string;
  });
  after(async () => {
    if (!c) return;
    await audited?.dispose();
    if (ns) await deleteNamespace(c.kube, ns);
  });

  for (const k of CASES) {
    describe(`${k.actionner.info.category}:${k.actionner.info.name}`, () => {
      const header = () => ({
        apiVersion: k.apiVersion,
        kind: k.kind,
        metadata: { name: "web", namespace: ns },
      });
      const read = () =>
        c.kube.objects.read<Policy>(header()).catch((err: { code?: number }) => {
          if (err.code === 404) return undefined;
          throw err;
        });
      const mustRead = async () => {
        const p = await read();
        assert.ok(p, "the policy exists");
        return p;
      };
      const remove = () => c.kube.objects.delete(header()).catch(() => undefined);
      const editByHand = async () => {
        const p = await mustRead();
        await c.kube.objects.replace<Policy>({ ...p, spec: k.edit(p.spec ?? {}) });
      };
      const act = (step: Case["first"], env: PluginEnv = makePluginEnv(c.kube)) =>
        runActionner(
          k.actionner,
          env,
          makeEvent({ "k8s.pod.name": webPod, "k8s.ns.name": ns, "fd.rip": step.rip }),
          step.params,
        );
      /** Reverts from the record as the audit trail gives it back: JSON, checked against the schema. */
      const revert = (r: ActionResult, env: PluginEnv = makePluginEnv(c.kube), dryRun = false) => {
        assert.ok(r.undo, "the action returned its undo record");
        const reversible = k.actionner.reversible;
        assert.ok(reversible);
        const undo = reversible.record.parse(JSON.parse(JSON.stringify(r.undo)));
        return reversible.revert({ undo, env, dryRun });
      };
      /** A revert through the audited client, and the writes it sent (none expected). */
      const revertWritingNothing = async (r: ActionResult, dryRun: boolean): Promise<RevertResult> => {
        const { value, requests } = await audited.record(() =>
          revert(r, makePluginEnv(audited.kube), dryRun),
        );
        assert.ok(
          requests.some((e) => e.verb === "get"),
          "the revert read the policy (the audit log sees its requests)",
        );
        assert.deepEqual(
          requests.filter((e) => WRITE_VERBS.has(e.verb)).map(auditText),
          [],
          "the revert sent no write",
        );
        return value;
      };

      it("act creates; a dry run changes nothing; revert deletes it; a second revert finds it gone and writes nothing", async () => {
        const dry = await act(k.first, makePluginEnv(c.kube, { dryRun: "server" }));
        assert.equal(dry.status, "success", dry.error);
        assert.equal(dry.undo, undefined, "a server dry run changed nothing: nothing to undo");

        const r = await act(k.first);
        assert.equal(r.status, "success", r.error);
        assert.match(r.output ?? "", /has been created$/);
        const made = await mustRead();
        assert.deepEqual(r.undo, {
          apiVersion: k.apiVersion,
          kind: k.kind,
          namespace: ns,
          name: "web",
          created: true,
          written: {
            uid: made.metadata?.uid,
            resourceVersion: made.metadata?.resourceVersion,
            spec: plain(made.spec),
            labels: { app: "web", "app.kubernetes.io/managed-by": "falco-talon" },
          },
        });

        const plan = await revertWritingNothing(r, true);
        assert.deepEqual(plan, {
          status: "success",
          reverted: [`would delete ${k.text(ns)}, created by the action`],
          unchanged: [],
          conflicts: [],
          objects: plan.objects,
        });
        assert.equal((await mustRead()).metadata?.resourceVersion, made.metadata?.resourceVersion);

        const done = await revert(r);
        assert.equal(done.status, "success", done.error);
        assert.deepEqual(done.reverted, [`${k.text(ns)}, created by the action, has been deleted`]);
        assert.equal(await read(), undefined);

        const again = await revertWritingNothing(r, false);
        assert.equal(again.status, "success");
        assert.deepEqual(again.reverted, []);
        assert.deepEqual(again.unchanged, [`${k.text(ns)} is already gone`]);
      });

      it("a policy edited by hand since the action is left alone (a conflict)", async () => {
        const r = await act(k.first);
        assert.match(r.output ?? "", /has been created$/);
        const written = (r.undo as { written: { resourceVersion: string } }).written.resourceVersion;
        await editByHand();
        const edited = await mustRead();

        const out = await revert(r);
        assert.equal(out.status, "conflict");
        assert.deepEqual(out.conflicts, [
          `${k.text(ns)} was changed since the action (resourceVersion ${written} → ${edited.metadata?.resourceVersion}): left alone`,
        ]);
        assert.deepEqual(out.reverted, []);
        const still = await mustRead();
        assert.equal(still.metadata?.resourceVersion, edited.metadata?.resourceVersion);
        assert.deepEqual(plain(still.spec), plain(edited.spec));
        await remove();
      });

      it("a change made while the revert runs fails its guarded delete: the change is left alone", async () => {
        const r = await act(k.first);
        assert.match(r.output ?? "", /has been created$/);
        const out = await revert(r, makePluginEnv(racingKube(c.kube, editByHand)));
        assert.equal(out.status, "conflict", out.error);
        assert.match(
          out.conflicts[0] ?? "",
          /was changed since the action \(resourceVersion \d+ → \d+\): left alone$/,
        );
        // The hand edit is what is there now.
        const still = plain((await mustRead()).spec ?? {});
        assert.deepEqual(still, plain(k.edit(still)));
        await remove();
      });

      it("act on an existing policy, then revert: its previous spec, labels and annotations come back", async () => {
        await c.kube.objects.create<Policy>({
          ...header(),
          metadata: {
            name: "web",
            namespace: ns,
            labels: { team: "a", "app.kubernetes.io/managed-by": "someone" },
            annotations: { note: "kept" },
          },
          spec: k.existing,
        });
        const before = await mustRead();
        // The ingress rule made it as written (the typed client's `_from` is the wire `from`).
        assert.deepEqual(plain(before.spec), plain(k.existing));

        const r = await act(k.first);
        assert.equal(r.status, "success", r.error);
        assert.match(r.output ?? "", /has been updated$/);
        const acted = await mustRead();
        assert.notDeepEqual(plain(acted.spec), plain(before.spec));
        assert.deepEqual(plain(acted.metadata?.labels), {
          team: "a",
          app: "web",
          "app.kubernetes.io/managed-by": "falco-talon",
        });
        assert.deepEqual(plain(acted.metadata?.annotations), { note: "kept" });
        assert.equal((r.undo as { created: boolean }).created, false);

        const plan = await revertWritingNothing(r, true);
        assert.equal(plan.status, "success");
        assert.deepEqual(plan.reverted, [`would set ${k.text(ns)} back to its previous spec`]);
        assert.equal((await mustRead()).metadata?.resourceVersion, acted.metadata?.resourceVersion);

        const done = await revert(r);
        assert.equal(done.status, "success", done.error);
        assert.deepEqual(done.reverted, [`${k.text(ns)} has been set back to its previous spec`]);
        const restored = await mustRead();
        assert.equal(restored.metadata?.uid, before.metadata?.uid);
        assert.deepEqual(plain(restored.spec), plain(before.spec));
        assert.deepEqual(plain(restored.metadata?.labels), plain(before.metadata?.labels));
        assert.deepEqual(plain(restored.metadata?.annotations), { note: "kept" });

        const again = await revertWritingNothing(r, false);
        assert.equal(again.status, "success");
        assert.deepEqual(again.unchanged, [`${k.text(ns)} already has its previous spec`]);
        await remove();
      });

      it("two events share the workload's policy: the first action's revert leaves the second's update alone", async () => {
        const r1 = await act(k.first);
        assert.match(r1.output ?? "", /has been created$/);
        const r2 = await act(k.second);
        assert.match(r2.output ?? "", /has been updated$/);
        const shared = await mustRead();

        const first = await revert(r1);
        assert.equal(first.status, "conflict");
        assert.equal((await mustRead()).metadata?.resourceVersion, shared.metadata?.resourceVersion);

        // Undone in the reverse order, both go: the second puts the first's spec back, and the
        // first then finds its own spec and deletes the policy.
        const second = await revert(r2);
        assert.equal(second.status, "success", second.error);
        assert.deepEqual(second.reverted, [`${k.text(ns)} has been set back to its previous spec`]);
        const firstAgain = await revert(r1);
        assert.equal(firstAgain.status, "success", firstAgain.error);
        assert.deepEqual(firstAgain.reverted, [`${k.text(ns)}, created by the action, has been deleted`]);
        assert.equal(await read(), undefined);
      });
    });
  }
});
