/**
 * Hostile names from events against every Kubernetes actionner: checks, plan and run each fail
 * with a clear InvalidNameError message, and the API server's audit log shows that not one
 * request (not even a GET) was sent.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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
import { InvalidNameError, quoted } from "../../src/kube/names.js";
import type { ActionInput, Actionner, ActionResult, PluginEnv } from "../../src/plugins/types.js";
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
  type TestCluster,
  waitForPodRunning,
} from "../support/k8s.js";

/** Every Kubernetes actionner of a pod, with parameters that pass validation. */
function podActionners(jobNamespace: string): [string, Actionner, unknown][] {
  return [
    ["kubernetes:terminate", terminate, {}],
    ["kubernetes:label", label, { labels: { quarantine: "true" } }],
    ["kubernetes:annotation", annotation, { annotations: { "falco.org/rule": "x" } }],
    ["kubernetes:label (node)", label, { labels: { quarantine: "true" }, level: "node" }],
    ["kubernetes:cordon", cordon, {}],
    ["kubernetes:drain", drain, {}],
    ["kubernetes:log", log, {}],
    ["kubernetes:download", download, { file: "/etc/hostname" }],
    ["kubernetes:tcpdump", tcpdump, {}],
    ["kubernetes:sysdig", sysdig, { namespace: jobNamespace }],
    ["kubernetes:networkpolicy", networkpolicy, {}],
    ["kubernetes:quarantine", quarantine, {}],
    ["kubernetes:exec", exec, { command: "true" }],
    ["kubernetes:script", script, { script: "true" }],
    ["calico:networkpolicy", calico, {}],
    ["cilium:networkpolicy", cilium, {}],
  ];
}

/** [value, what the reason must say] for names that no pod or namespace can have. */
const HOSTILE: [string, RegExp][] = [
  ["..", /may not be '\.' or '\.\.'/],
  [".", /may not be '\.' or '\.\.'/],
  ["a/../b", /may not contain '\/'/],
  ["../../../api/v1/namespaces/default", /may not contain '\/'/],
  ["Victim", /lower case alphanumeric/],
  ["x".repeat(300), /must be no more than (253|63) characters \(got 300\)/],
  ["%2e%2e", /may not contain '%'/],
  ["ünïcödé", /lower case alphanumeric/],
  ["trailing-", /start and end with an alphanumeric/],
  ["a\u0000b", /lower case alphanumeric/],
  ["a b", /lower case alphanumeric/],
];

/** The value as messages quote it, as a regular expression source. */
function quotedRe(value: string): string {
  return quoted(value).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function inputFor(a: Actionner, env: PluginEnv, event: FalcoEvent, raw: unknown): ActionInput<unknown> {
  return {
    event,
    parameters: a.parameters.parse(raw),
    vars: new Map<string, string>(),
    rule: "Hostile names",
    action: "test",
    env,
    memo: new Map(),
  };
}

/**
 * checks rejects, plan throws and run fails, each with `message`: run is called even though
 * checks failed, since run must not rely on checks.
 */
async function expectRefused(a: Actionner, input: ActionInput<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(a.checks(input), (err: unknown) => {
    assert.ok(err instanceof InvalidNameError, `checks: ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
  if (a.plan) {
    await assert.rejects(
      (async () => a.plan?.(input))(),
      (err: unknown) => err instanceof InvalidNameError && message.test(err.message),
    );
  }
  const r: ActionResult = await a.run(input).catch((err: unknown) => ({
    status: "failure" as const,
    error: err instanceof Error ? err.message : String(err),
    objects: {},
  }));
  assert.equal(r.status, "failure");
  assert.match(r.error ?? "", message);
}

describe("hostile names from events", () => {
  let c: TestCluster;
  let audited: AuditedClient;
  let env: PluginEnv;
  let ns: string;
  let jobNs: string;
  before(async () => {
    c = await getTestCluster();
    audited = await auditedClient(c, "hostile");
    env = makePluginEnv(audited.kube, { dryRun: "server" });
    ns = await createNamespace(c.kube, "hostile");
    jobNs = await createNamespace(c.kube, "hostile-jobs");
    await createPod(c.kube, ns, "target", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "target");
  });
  after(async () => {
    if (!c) return;
    await audited?.dispose();
    if (ns) await deleteNamespace(c.kube, ns);
    if (jobNs) await deleteNamespace(c.kube, jobNs);
  });

  it("the audit log sees a valid event's requests (so an empty record means none were sent)", async () => {
    const ev = makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": ns });
    const { value: r, requests } = await audited.record(async () => {
      const input = inputFor(terminate, env, ev, {});
      await terminate.checks(input as never);
      return terminate.run(input as never);
    });
    assert.equal(r.status, "success", r.error);
    assert.deepEqual(
      requests.map(
        (e) => `${e.verb} ${e.objectRef?.resource} ${e.objectRef?.namespace}/${e.objectRef?.name}`,
      ),
      [`get pods ${ns}/target`, `delete pods ${ns}/target`],
    );
    assert.match(requests[1]?.requestURI ?? "", /dryRun=All/);
  });

  it("the review's cases: '..' and '.' send nothing (no DELETE of the namespace, no patch of it)", async () => {
    for (const [name, a, params] of [
      ["kubernetes:terminate", terminate, {}],
      ["kubernetes:label", label, { labels: { quarantine: "true" } }],
    ] as const) {
      for (const pod of ["..", "."]) {
        const ev = makeEvent({ "k8s.pod.name": pod, "k8s.ns.name": "default" });
        const { requests } = await audited.record(() =>
          expectRefused(
            a,
            inputFor(a, env, ev, params),
            new RegExp(
              `^invalid pod name ${quotedRe(pod)} in k8s\\.pod\\.name: may not be '\\.' or '\\.\\.'$`,
            ),
          ),
        );
        assert.deepEqual(requests.map(auditText), [], `${name} ${pod}`);
      }
    }
  });

  for (const [name, a] of podActionners("falco-talon")) {
    it(`${name}: hostile pod names and namespaces fail with the reason and send no request`, async () => {
      const raw = podActionners(jobNs).find(([n]) => n === name)?.[2];
      const ip = { "fd.rip": "10.1.2.3" };
      const { requests } = await audited.record(async () => {
        for (const [value, reason] of HOSTILE) {
          for (const [field, nsField] of [
            ["k8s.pod.name", "k8s.ns.name"],
            ["ka.target.pod.name", "ka.target.namespace"],
          ] as const) {
            await expectRefused(
              a,
              inputFor(a, env, makeEvent({ [field]: value, [nsField]: ns, ...ip }), raw),
              new RegExp(
                `^invalid pod name ${quotedRe(value)} in ${field.replace(/\./g, "\\.")}: .*${reason.source}`,
              ),
            );
          }
          await expectRefused(
            a,
            inputFor(a, env, makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": value, ...ip }), raw),
            new RegExp(`^invalid namespace ${quotedRe(value)} in k8s\\.ns\\.name: .*${reason.source}`),
          );
        }
      });
      assert.deepEqual(requests.map(auditText), []);
    });
  }

  it("calico and cilium: hostile remote IPs fail before the pod GET", async () => {
    for (const a of [calico, cilium]) {
      const { requests } = await audited.record(async () => {
        for (const ip of [
          "1.2.3.4/0",
          "::/0",
          "fe80::1%eth0",
          "10.0.0.300",
          "a/../b",
          "..",
          "01.2.3.4",
          " 1.2.3.4",
        ]) {
          await expectRefused(
            a,
            inputFor(a, env, makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": ns, "fd.rip": ip }), {}),
            new RegExp(`^invalid IP ${quotedRe(ip)} in fd\\.rip: `),
          );
        }
        await expectRefused(
          a,
          inputFor(a, env, makeEvent({ "k8s.pod.name": "target", "k8s.ns.name": ns, "fd.sip": "x" }), {}),
          /^invalid IP 'x' in fd\.sip: must be an IPv4 or IPv6 address$/,
        );
      });
      assert.deepEqual(requests.map(auditText), [], a.info.category);
    }
  });

  it("kubernetes:delete: hostile resources, names and namespaces send no request", async () => {
    const a = k8sDelete;
    const ev = (resource: string, name: string, namespace?: string) =>
      makeEvent(
        {
          "ka.target.resource": resource,
          "ka.target.name": name,
          ...(namespace !== undefined ? { "ka.target.namespace": namespace } : {}),
        },
        "k8s_audit",
      );
    const { requests } = await audited.record(async () => {
      for (const resource of [
        "..",
        ".",
        "../pods",
        "secrets/x",
        "Secrets",
        "%2e%2e",
        "secrets%2f..",
        "a\u0000",
      ]) {
        await expectRefused(
          a,
          inputFor(a, env, ev(resource, "x", ns), {}),
          new RegExp(`^invalid resource ${quotedRe(resource)} in ka\\.target\\.resource: `),
        );
      }
      for (const [resource, kind] of [
        ["secrets", "secret"],
        ["configmaps", "configmap"],
        ["deployments", "deployment"],
        ["services", "service"],
        ["serviceaccounts", "serviceaccount"],
      ]) {
        for (const [value, reason] of HOSTILE) {
          await expectRefused(
            a,
            inputFor(a, env, ev(resource as string, value, ns), {}),
            new RegExp(`^invalid ${kind} name ${quotedRe(value)} in ka\\.target\\.name: `),
          );
          await expectRefused(
            a,
            inputFor(a, env, ev(resource as string, "victim", value), {}),
            new RegExp(
              `^invalid namespace ${quotedRe(value)} in ka\\.target\\.namespace: .*${reason.source}`,
            ),
          );
        }
      }
      // Namespaces are DNS labels; RBAC names only need to be path segments.
      for (const value of ["..", ".", "a/../b", "Victim", "a.b", "%2e%2e", "x".repeat(64)]) {
        await expectRefused(
          a,
          inputFor(a, env, ev("namespaces", value), {}),
          new RegExp(`^invalid namespace name ${quotedRe(value)} in ka\\.target\\.name: `),
        );
      }
      for (const value of ["..", ".", "a/../b", "%2e%2e", "a\u0000b", "x".repeat(300), "a b"]) {
        for (const [resource, kind] of [
          ["clusterroles", "clusterrole"],
          ["roles", "role"],
        ]) {
          await expectRefused(
            a,
            inputFor(a, env, ev(resource as string, value, ns), {}),
            new RegExp(`^invalid ${kind} name ${quotedRe(value)} in ka\\.target\\.name: `),
          );
        }
      }
    });
    assert.deepEqual(requests.map(auditText), []);
  });
});
