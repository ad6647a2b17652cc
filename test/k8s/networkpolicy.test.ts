/** kubernetes:networkpolicy, calico:networkpolicy and cilium:networkpolicy against the real API server (with the real CRDs). */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import calico from "../../src/actionners/calico/networkpolicy/index.js";
import cilium from "../../src/actionners/cilium/networkpolicy/index.js";
import networkpolicy from "../../src/actionners/kubernetes/networkpolicy/index.js";
import type { KubeClient } from "../../src/kube/client.js";
import type { ActionResult } from "../../src/plugins/types.js";
import {
  createDaemonSet,
  createDeployment,
  createNamespace,
  createPod,
  createStatefulSet,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

/** Generated client models are class instances; compare their JSON. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null));

/** A result without its undo record (revert-networkpolicy.test.ts checks that). */
const withoutUndo = ({ undo: _undo, ...rest }: ActionResult) => rest;

const podEvent = (pod: string, ns: string, extra: Record<string, unknown> = {}) =>
  makeEvent({ "k8s.pod.name": pod, "k8s.ns.name": ns, ...extra });

type Obj = { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
const readCustom = (kube: KubeClient, apiVersion: string, kind: string, name: string, namespace: string) =>
  kube.objects.read({ apiVersion, kind, metadata: { name, namespace } }) as Promise<Obj>;

describe("network policy actionners", () => {
  let c: TestCluster;
  let ns: string;
  let webPod: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "netpol");
    await createDeployment(c.kube, ns, "web", 1);
    const [pod] = await waitForRunningPods(c.kube, ns, "web", 1);
    webPod = pod?.metadata?.name as string;
    assert.ok(pod?.metadata?.labels?.["pod-template-hash"], "deployment pods carry pod-template-hash");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });

  describe("kubernetes:networkpolicy", () => {
    it("denies all egress for a Deployment, named after the Deployment, selector without pod-template-hash", async () => {
      const env = makePluginEnv(c.kube);
      const r = await runActionner(networkpolicy, env, podEvent(webPod, ns));
      assert.deepEqual(withoutUndo(r), {
        status: "success",
        output: `the networkpolicy 'web' in the namespace '${ns}' has been created`,
        objects: { pod: webPod, namespace: ns, networkpolicy: "web" },
      });
      const np = await c.kube.networking.readNamespacedNetworkPolicy({ name: "web", namespace: ns });
      assert.deepEqual(np.metadata?.labels, { app: "web", "app.kubernetes.io/managed-by": "falco-talon" });
      assert.deepEqual(plain(np.spec?.podSelector), { matchLabels: { app: "web" } });
      assert.deepEqual(np.spec?.policyTypes, ["Egress"]);
      assert.deepEqual(plain(np.spec?.egress ?? []), []);
    });

    it("updates with the allow lists, and a second run leaves the same spec", async () => {
      const env = makePluginEnv(c.kube);
      const params = {
        allow_cidr: ["192.168.1.0/24", "fd00::/8"],
        allow_namespaces: ["blue-ns", "green-ns"],
      };
      const r1 = await runActionner(networkpolicy, env, podEvent(webPod, ns), params);
      assert.equal(r1.output, `the networkpolicy 'web' in the namespace '${ns}' has been updated`);
      const first = await c.kube.networking.readNamespacedNetworkPolicy({ name: "web", namespace: ns });
      assert.deepEqual(plain(first.spec?.egress), [
        {
          to: [
            { ipBlock: { cidr: "192.168.1.0/24" } },
            { ipBlock: { cidr: "fd00::/8" } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "blue-ns" } } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "green-ns" } } },
          ],
        },
      ]);
      const r2 = await runActionner(networkpolicy, env, podEvent(webPod, ns), params);
      assert.equal(r2.status, "success");
      const second = await c.kube.networking.readNamespacedNetworkPolicy({ name: "web", namespace: ns });
      assert.deepEqual(plain(second.spec), plain(first.spec));
      assert.deepEqual(second.metadata?.labels, first.metadata?.labels);
    });

    it("uses a standalone pod's own name and labels, and workload names for DaemonSets and StatefulSets", async () => {
      const env = makePluginEnv(c.kube);
      await createPod(c.kube, ns, "lonely", c.nodeNames[0]);
      let r = await runActionner(networkpolicy, env, podEvent("lonely", ns));
      assert.equal(r.output, `the networkpolicy 'lonely' in the namespace '${ns}' has been created`);
      let np = await c.kube.networking.readNamespacedNetworkPolicy({ name: "lonely", namespace: ns });
      assert.deepEqual(plain(np.spec?.podSelector?.matchLabels), { app: "lonely" });

      await createDaemonSet(c.kube, ns, "agent");
      const [ds] = await waitForRunningPods(c.kube, ns, "agent", 1);
      r = await runActionner(networkpolicy, env, podEvent(ds?.metadata?.name as string, ns));
      assert.equal(r.objects.networkpolicy, "agent");
      np = await c.kube.networking.readNamespacedNetworkPolicy({ name: "agent", namespace: ns });
      // Without controller-revision-hash / pod-template-generation.
      assert.deepEqual(plain(np.spec?.podSelector?.matchLabels), { app: "agent" });

      await createStatefulSet(c.kube, ns, "db", 1);
      await waitForRunningPods(c.kube, ns, "db", 1);
      r = await runActionner(networkpolicy, env, podEvent("db-0", ns));
      assert.equal(r.objects.networkpolicy, "db");
      np = await c.kube.networking.readNamespacedNetworkPolicy({ name: "db", namespace: ns });
      assert.deepEqual(plain(np.spec?.podSelector?.matchLabels), { app: "db" });
    });

    it("fails for owners that are not workloads, and for missing pods", async () => {
      const cm = await c.kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: "owner" } },
      });
      await c.kube.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: {
            name: "owned",
            labels: { app: "owned" },
            ownerReferences: [
              { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: cm.metadata?.uid as string },
            ],
          },
          spec: { nodeName: c.nodeNames[0], containers: [{ name: "main", image: "registry.local/fake:1" }] },
        },
      });
      const r = await runActionner(networkpolicy, makePluginEnv(c.kube), podEvent("owned", ns));
      assert.equal(r.status, "failure");
      assert.equal(
        r.error,
        `can't find the owner and/or labels for the pod 'owned' in the namespace '${ns}'`,
      );
      await assert.rejects(
        runActionner(networkpolicy, makePluginEnv(c.kube), podEvent("missing", ns)),
        new Error(`the pod 'missing' in the namespace '${ns}' doesn't exist`),
      );
    });

    it("creates nothing under server dry run", async () => {
      await createPod(c.kube, ns, "dry", c.nodeNames[0]);
      const r = await runActionner(
        networkpolicy,
        makePluginEnv(c.kube, { dryRun: "server" }),
        podEvent("dry", ns),
      );
      assert.equal(r.status, "success");
      await assert.rejects(
        c.kube.networking.readNamespacedNetworkPolicy({ name: "dry", namespace: ns }),
        (e: { code?: number }) => e.code === 404,
      );
    });
  });

  describe("calico:networkpolicy", () => {
    it("checks the remote IP", async () => {
      const env = makePluginEnv(c.kube);
      await assert.rejects(runActionner(calico, env, podEvent(webPod, ns)), /missing remote IP/);
      await assert.rejects(
        runActionner(calico, env, podEvent(webPod, ns, { "fd.rip": "10.0.0.300" })),
        /^InvalidNameError: invalid IP '10\.0\.0\.300' in fd\.rip: must be an IPv4 or IPv6 address$/,
      );
    });

    it("creates a deny for fd.rip, adds fd.sip IPv6 as /128, keeps old denies without duplicates", async () => {
      const env = makePluginEnv(c.kube);
      let r = await runActionner(
        calico,
        env,
        podEvent(webPod, ns, { "fd.rip": "10.1.2.3", "fd.sip": "10.9.9.9" }),
        {
          order: 20,
        },
      );
      assert.deepEqual(withoutUndo(r), {
        status: "success",
        output: `the caliconetworkpolicy 'web' in the namespace '${ns}' has been created`,
        objects: { pod: webPod, namespace: ns, caliconetworkpolicy: "web" },
      });
      let pol = await readCustom(c.kube, "projectcalico.org/v3", "NetworkPolicy", "web", ns);
      assert.deepEqual(pol.metadata?.labels, { app: "web", "app.kubernetes.io/managed-by": "falco-talon" });
      assert.deepEqual(pol.spec, {
        order: 20,
        selector: 'app == "web"',
        types: ["Egress"],
        egress: [
          { action: "Deny", destination: { nets: ["10.1.2.3/32"] } },
          { action: "Allow", destination: { nets: ["0.0.0.0/0"] } },
          { action: "Allow", destination: { nets: ["::/0"] } },
        ],
      });

      const params = { order: 20, allow_cidr: ["192.168.0.0/16"], allow_namespaces: ["kube-system", "dns"] };
      r = await runActionner(calico, env, podEvent(webPod, ns, { "fd.sip": "2001:db8::1" }), params);
      assert.equal(r.output, `the caliconetworkpolicy 'web' in the namespace '${ns}' has been updated`);
      pol = await readCustom(c.kube, "projectcalico.org/v3", "NetworkPolicy", "web", ns);
      const expected = {
        order: 20,
        selector: 'app == "web"',
        types: ["Egress"],
        egress: [
          { action: "Deny", destination: { nets: ["10.1.2.3/32", "2001:db8::1/128"] } },
          { action: "Allow", destination: { nets: ["192.168.0.0/16"] } },
          {
            action: "Allow",
            destination: { namespaceSelector: "projectcalico.org/name in {'kube-system', 'dns'}" },
          },
        ],
      };
      assert.deepEqual(pol.spec, expected);
      // The same IP again: same spec.
      r = await runActionner(calico, env, podEvent(webPod, ns, { "fd.rip": "10.1.2.3" }), params);
      assert.equal(r.status, "success");
      pol = await readCustom(c.kube, "projectcalico.org/v3", "NetworkPolicy", "web", ns);
      assert.deepEqual(pol.spec, expected);
    });
  });

  describe("cilium:networkpolicy", () => {
    it("checks the remote IP (Talon did not)", async () => {
      await assert.rejects(
        runActionner(cilium, makePluginEnv(c.kube), podEvent(webPod, ns, { "fd.rip": "not-an-ip" })),
        /^InvalidNameError: invalid IP 'not-an-ip' in fd\.rip: must be an IPv4 or IPv6 address$/,
      );
    });

    it("creates an egressDeny for the IP, merges later IPs once, and uses Cilium's namespace label", async () => {
      const env = makePluginEnv(c.kube);
      let r = await runActionner(cilium, env, podEvent(webPod, ns, { "fd.rip": "10.1.2.3" }));
      assert.deepEqual(withoutUndo(r), {
        status: "success",
        output: `the ciliumnetworkpolicy 'web' in the namespace '${ns}' has been created`,
        objects: { pod: webPod, namespace: ns, ciliumnetworkpolicy: "web" },
      });
      let pol = await readCustom(c.kube, "cilium.io/v2", "CiliumNetworkPolicy", "web", ns);
      assert.deepEqual(pol.metadata?.labels, { app: "web", "app.kubernetes.io/managed-by": "falco-talon" });
      assert.deepEqual(pol.spec, {
        description: "Network policy created by Falco Talon",
        endpointSelector: { matchLabels: { app: "web" } },
        egressDeny: [{ toCIDR: ["10.1.2.3/32"] }],
        egress: [{ toEntities: ["all"] }],
      });

      const params = { allow_cidr: ["192.168.0.0/16"], allow_namespaces: ["blue-ns", "green-ns"] };
      for (const ip of ["2001:db8::2", "10.1.2.3", "2001:db8::2"]) {
        r = await runActionner(cilium, env, podEvent(webPod, ns, { "fd.rip": ip }), params);
        assert.equal(r.output, `the ciliumnetworkpolicy 'web' in the namespace '${ns}' has been updated`);
      }
      pol = await readCustom(c.kube, "cilium.io/v2", "CiliumNetworkPolicy", "web", ns);
      assert.deepEqual(pol.spec, {
        description: "Network policy created by Falco Talon",
        endpointSelector: { matchLabels: { app: "web" } },
        egressDeny: [{ toCIDR: ["10.1.2.3/32", "2001:db8::2/128"] }],
        egress: [
          { toCIDR: ["192.168.0.0/16"] },
          {
            toEndpoints: [
              {
                matchExpressions: [
                  { key: "k8s:io.kubernetes.pod.namespace", operator: "In", values: ["blue-ns", "green-ns"] },
                ],
              },
            ],
          },
        ],
      });
    });
  });

  it("all three work on a standalone pod", async () => {
    await createPod(c.kube, ns, "solo", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "solo");
    const env = makePluginEnv(c.kube);
    const ev = podEvent("solo", ns, { "fd.rip": "1.1.1.1" });
    for (const a of [networkpolicy, calico, cilium] as const) {
      const r = await runActionner(a as typeof networkpolicy, env, ev);
      assert.equal(r.status, "success", `${a.info.category}: ${r.error}`);
      assert.match(r.output ?? "", /'solo'.*has been created/);
    }
  });
});
