/**
 * Property: whatever names an event carries, the requests that reach the real API server (as its
 * audit log records them) only ever name that event's own valid objects — its pod, the pod's
 * node, owners and policies, the delete target — and an invalid name sends nothing at all.
 * Writes are server-side dry runs, so the fixture survives every run.
 */
import assert from "node:assert/strict";
import { isIP } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import calico from "../../src/actionners/calico/networkpolicy/index.js";
import cilium from "../../src/actionners/cilium/networkpolicy/index.js";
import annotation from "../../src/actionners/kubernetes/annotation/index.js";
import cordon from "../../src/actionners/kubernetes/cordon/index.js";
import k8sDelete from "../../src/actionners/kubernetes/delete/index.js";
import download from "../../src/actionners/kubernetes/download/index.js";
import drain from "../../src/actionners/kubernetes/drain/index.js";
import exec from "../../src/actionners/kubernetes/exec/index.js";
import label from "../../src/actionners/kubernetes/label/index.js";
import log from "../../src/actionners/kubernetes/log/index.js";
import networkpolicy from "../../src/actionners/kubernetes/networkpolicy/index.js";
import quarantine from "../../src/actionners/kubernetes/quarantine/index.js";
import script from "../../src/actionners/kubernetes/script/index.js";
import sysdig from "../../src/actionners/kubernetes/sysdig/index.js";
import tcpdump from "../../src/actionners/kubernetes/tcpdump/index.js";
import terminate from "../../src/actionners/kubernetes/terminate/index.js";
import type { FalcoEvent } from "../../src/events/event.js";
import type { ActionInput, Actionner, PluginEnv } from "../../src/plugins/types.js";
import {
  type AuditEntry,
  type AuditedClient,
  auditedClient,
  auditText,
  createNamespace,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  type TestCluster,
  waitFor,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

const RUNS = Number(process.env.NAMES_PROPERTY_RUNS ?? 60);

// ---- An oracle written apart from src/kube/names.ts ----

const isSubdomain = (v: string) =>
  v.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v);
const isLabel = (v: string) => v.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v);

/** The getters' reading of a field: strings and numbers as text, anything else absent. */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return String(v);
  return "";
}
const firstOf = (e: FalcoEvent, keys: string[]) =>
  keys.map((k) => text(e.output_fields[k])).find((t) => t !== "") ?? "";

/** The pod an event names, when both of its names are valid. */
function validPod(e: FalcoEvent): { name: string; namespace: string } | undefined {
  const name = firstOf(e, ["k8s.pod.name", "ka.target.pod.name", "ka.target.name"]);
  const namespace = firstOf(e, ["k8s.ns.name", "ka.target.namespace"]);
  return isSubdomain(name) && isLabel(namespace) ? { name, namespace } : undefined;
}

// ---- Generators ----

const validName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,12}[a-z0-9])?$/);
const hostileName = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "a/../b",
    "Victim",
    "x".repeat(300),
    "",
    "%2e%2e",
    "ünïcödé",
    "trailing-",
    "a\u0000b",
  ),
  fc
    .array(fc.constantFrom("..", ".", "/", "a", "%2e", "%2f", "Victim", "-", "\u0000", " ", "é"), {
      minLength: 1,
      maxLength: 6,
    })
    .map((parts) => parts.join("")),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
);
const ipv6 = fc.ipV6();
const hostileIp = fc.oneof(
  fc.constantFrom("1.2.3.4/0", "::/0", "fe80::1%eth0", "10.0.0.300", "01.2.3.4", "..", "a/../b", " 1.2.3.4"),
  fc.string({ maxLength: 15 }),
);

interface Fixture {
  ns: string;
  jobNs: string;
  node: string;
  /** Pods of the fixture, by name; all on `node`. */
  pods: string[];
  owners: Set<string>;
  policies: Set<string>;
}

function podEvents(f: Fixture): fc.Arbitrary<FalcoEvent> {
  const podName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...f.pods) },
    { weight: 1, arbitrary: validName },
    { weight: 1, arbitrary: fc.nat({ max: 99999 }) },
    { weight: 3, arbitrary: hostileName },
  );
  const namespace = fc.oneof(
    { weight: 5, arbitrary: fc.constant(f.ns) },
    { weight: 1, arbitrary: fc.constantFrom("default", "kube-system") },
    { weight: 1, arbitrary: validName },
    { weight: 3, arbitrary: hostileName },
  );
  const ip = fc.oneof(
    { weight: 3, arbitrary: fc.ipV4() },
    { weight: 1, arbitrary: ipv6 },
    { weight: 2, arbitrary: hostileIp },
  );
  return fc
    .record({
      podField: fc.constantFrom("k8s.pod.name", "ka.target.pod.name"),
      nsField: fc.constantFrom("k8s.ns.name", "ka.target.namespace"),
      pod: podName,
      namespace,
      ipField: fc.constantFrom("fd.rip", "fd.sip"),
      ip,
    })
    .map((r) =>
      makeEvent({ [r.podField]: r.pod, [r.nsField]: r.namespace, [r.ipField]: r.ip, "proc.name": "sh" }),
    );
}

/** Whether a request is one the actionner may send for the event. */
function allowed(f: Fixture, actionner: string, e: FalcoEvent, req: AuditEntry): boolean {
  const pod = validPod(e);
  if (!pod) return false;
  if (actionner === "calico:networkpolicy" || actionner === "cilium:networkpolicy") {
    const ip = firstOf(e, ["fd.rip", "fd.sip"]);
    if (isIP(ip) === 0 || ip.includes("%")) return false;
  }
  // API discovery (KubernetesObjectApi resolving a kind) names no object.
  if (!req.objectRef && req.verb === "get" && /^\/apis?(\/|$)/.test(req.requestURI)) return true;
  const r = req.objectRef ?? {};
  if (r.resource === "pods" && r.namespace === pod.namespace && r.name === pod.name) return true;
  const exists = pod.namespace === f.ns && f.pods.includes(pod.name);
  if (!exists) return false;
  if (r.resource === "nodes" && r.name === f.node) return true;
  const inNs = r.namespace === f.ns;
  if (inNs && ["replicasets", "deployments"].includes(r.resource ?? "") && f.owners.has(r.name ?? ""))
    return true;
  if (inNs && ["networkpolicies", "ciliumnetworkpolicies"].includes(r.resource ?? "")) {
    return f.policies.has(r.name ?? "") || (req.verb === "create" && !r.name);
  }
  if (actionner === "kubernetes:drain" && r.resource === "pods") {
    if (req.verb === "list" && !r.namespace && req.requestURI.includes(`spec.nodeName%3D${f.node}`))
      return true;
    // The node's pods (the fixture's only: the node is the fixture's own).
    if (r.subresource === "eviction" && r.namespace === f.ns && f.pods.includes(r.name ?? "")) return true;
  }
  if (actionner === "kubernetes:quarantine" && inNs) {
    // The Services that may select the pod, and the pod's own quarantine policy.
    if (r.resource === "services" && req.verb === "list") return true;
    if (r.resource === "networkpolicies" && (r.name ?? "").startsWith(`quarantine-${pod.name}`)) return true;
  }
  if (actionner === "kubernetes:sysdig") {
    if (r.resource === "namespaces" && r.name === f.jobNs && req.verb === "get") return true;
    if (r.resource === "jobs" && r.namespace === f.jobNs && req.verb === "create") return true;
  }
  return false;
}

function inputFor(a: Actionner, env: PluginEnv, event: FalcoEvent, raw: unknown): ActionInput<unknown> {
  return {
    event,
    parameters: a.parameters.parse(raw),
    vars: new Map<string, string>(),
    rule: "Names property",
    action: "test",
    env,
    memo: new Map(),
  };
}

/** checks, plan and run, each allowed to fail; run is called whatever checks said. */
async function attempt(a: Actionner, input: ActionInput<unknown>): Promise<void> {
  await a.checks(input).catch(() => undefined);
  await Promise.resolve()
    .then(() => a.plan?.(input))
    .catch(() => undefined);
  await a.run(input).catch(() => undefined);
}

describe("property: requests only name the event's own valid objects", () => {
  let c: TestCluster;
  let audited: AuditedClient;
  let env: PluginEnv;
  const f: Fixture = { ns: "", jobNs: "", node: "", pods: [], owners: new Set(), policies: new Set() };

  before(async () => {
    c = await getTestCluster();
    audited = await auditedClient(c, "names-prop");
    env = makePluginEnv(audited.kube, { dryRun: "server" });
    f.ns = await createNamespace(c.kube, "names-prop");
    f.jobNs = await createNamespace(c.kube, "names-prop-jobs");
    // A node of its own: drain and cordon see only the fixture's pods.
    f.node = `names-prop-${process.pid}`;
    await c.kube.core.createNode({
      body: { metadata: { name: f.node, annotations: { "kwok.x-k8s.io/node": "fake" } } },
    });
    await waitFor("the fixture node ready", async () => {
      const n = await c.kube.core.readNode({ name: f.node });
      return (n.status?.conditions ?? []).some((x) => x.type === "Ready" && x.status === "True");
    });
    const spec = { nodeName: f.node, containers: [{ name: "main", image: "registry.local/fake:1" }] };
    await c.kube.core.createNamespacedPod({
      namespace: f.ns,
      body: { metadata: { name: "solo", labels: { app: "solo" } }, spec },
    });
    await c.kube.apps.createNamespacedDeployment({
      namespace: f.ns,
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec },
        },
      },
    });
    await waitForPodRunning(c.kube, f.ns, "solo");
    const [web] = await waitForRunningPods(c.kube, f.ns, "web", 1);
    const webPod = web?.metadata?.name ?? "";
    const rs = web?.metadata?.ownerReferences?.[0]?.name ?? "";
    f.pods = ["solo", webPod];
    f.owners = new Set(["web", rs]);
    f.policies = new Set(["web", "solo"]);
    await c.kube.core.createNamespacedConfigMap({ namespace: f.ns, body: { metadata: { name: "cm" } } });
  });
  after(async () => {
    if (!c) return;
    await audited?.dispose();
    if (f.ns) await deleteNamespace(c.kube, f.ns);
    if (f.jobNs) await deleteNamespace(c.kube, f.jobNs);
    if (f.node) await c.kube.core.deleteNode({ name: f.node }).catch(() => undefined);
  });

  const cases: [string, Actionner, (f: Fixture) => unknown][] = [
    ["kubernetes:terminate", terminate, () => ({})],
    ["kubernetes:label", label, () => ({ labels: { quarantine: "true", gone: "" } })],
    ["kubernetes:annotation", annotation, () => ({ annotations: { "falco.org/rule": "x" } })],
    ["kubernetes:label (node)", label, () => ({ labels: { quarantine: "true" }, level: "node" })],
    ["kubernetes:cordon", cordon, () => ({})],
    ["kubernetes:drain", drain, () => ({})],
    ["kubernetes:log", log, () => ({ tail_lines: 5 })],
    ["kubernetes:download", download, () => ({ file: "/etc/hostname" })],
    ["kubernetes:tcpdump", tcpdump, () => ({})],
    ["kubernetes:sysdig", sysdig, (fx) => ({ namespace: fx.jobNs })],
    ["kubernetes:networkpolicy", networkpolicy, () => ({ allow_namespaces: ["kube-system"] })],
    ["kubernetes:quarantine", quarantine, () => ({})],
    ["kubernetes:exec", exec, () => ({ command: "true" })],
    ["kubernetes:script", script, () => ({ script: "true" })],
    ["calico:networkpolicy", calico, () => ({})],
    ["cilium:networkpolicy", cilium, () => ({})],
  ];

  for (const [name, a, params] of cases) {
    it(name, async () => {
      const raw = params(f);
      let sawAllowed = 0;
      await fc.assert(
        fc.asyncProperty(podEvents(f), async (event) => {
          const { requests } = await audited.record(() => attempt(a, inputFor(a, env, event, raw)));
          const stray = requests.filter((req) => !allowed(f, name.replace(/ .*/, ""), event, req));
          if (requests.length > 0) sawAllowed++;
          assert.deepEqual(stray.map(auditText), [], JSON.stringify(event.output_fields));
        }),
        { numRuns: RUNS },
      );
      // The generator does reach the API server (valid names are drawn too).
      assert.ok(sawAllowed > 0, "no run sent a request");
    });
  }

  it("kubernetes:delete", async () => {
    const a = k8sDelete;
    const resource = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          "configmaps",
          "secrets",
          "namespaces",
          "clusterroles",
          "roles",
          "services",
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom("pods", "nodes", "constructor", "__proto__") },
      { weight: 2, arbitrary: hostileName },
    );
    const name = fc.oneof(
      { weight: 3, arbitrary: fc.constant("cm") },
      { weight: 1, arbitrary: validName },
      { weight: 1, arbitrary: fc.constantFrom("system:x", "Victim") },
      { weight: 3, arbitrary: hostileName },
    );
    const namespace = fc.oneof(
      { weight: 4, arbitrary: fc.constant(f.ns) },
      { weight: 1, arbitrary: validName },
      { weight: 2, arbitrary: hostileName },
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.record({ resource, name, namespace }), async (t) => {
        const event = makeEvent(
          { "ka.target.resource": t.resource, "ka.target.name": t.name, "ka.target.namespace": t.namespace },
          "k8s_audit",
        );
        const { requests } = await audited.record(() => attempt(a, inputFor(a, env, event, {})));
        if (requests.length > 0) sent++;
        const clusterScoped = t.resource === "namespaces" || t.resource === "clusterroles";
        const nameOk =
          t.resource === "namespaces"
            ? isLabel(t.name)
            : t.resource === "services"
              ? t.name.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(t.name)
              : t.resource === "clusterroles" || t.resource === "roles"
                ? t.name !== "" &&
                  t.name !== "." &&
                  t.name !== ".." &&
                  !/[/%\s\u0000-\u001f\u007f]/.test(t.name) &&
                  t.name.length <= 253
                : isSubdomain(t.name);
        const valid =
          ["configmaps", "secrets", "namespaces", "clusterroles", "roles", "services", "pods"].includes(
            t.resource,
          ) &&
          nameOk &&
          (clusterScoped || isLabel(t.namespace));
        for (const req of requests) {
          const r = req.objectRef ?? {};
          const ok =
            valid &&
            r.resource === t.resource &&
            r.name === t.name &&
            // The API server files a namespace's own requests under that namespace.
            (clusterScoped
              ? !r.namespace || (t.resource === "namespaces" && r.namespace === t.name)
              : r.namespace === t.namespace) &&
            (req.verb === "get" || (req.verb === "delete" && /dryRun=All/.test(req.requestURI)));
          assert.ok(ok, `${auditText(req)} for ${JSON.stringify(t)}`);
        }
      }),
      { numRuns: RUNS * 2 },
    );
    assert.ok(sent > 0, "no run sent a request");
  });
});
