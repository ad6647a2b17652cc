import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import {
  actionInput,
  noClusterEnv,
  parameterIssues,
  podEvent,
} from "../../../../test/support/actionner-input.js";
import { dnsSubdomainProblem, InvalidNameError, labelValueProblem } from "../../../kube/names.js";
import type { PluginEnv } from "../../../plugins/types.js";
import { unknownKeys } from "../../../validation/keys.js";
import quarantine from "./index.js";
import { quarantineChange, quarantineOps, restoreOps } from "./pod-patch.js";
import {
  buildQuarantinePolicy,
  eventAnnotations,
  quarantineId,
  quarantinePolicyName,
  truncate,
} from "./policy.js";
import type { QuarantineRecord } from "./record.js";

const input = (raw: unknown, fields: Record<string, unknown> = {}) =>
  actionInput(quarantine, raw, { event: podEvent(fields) });

const DEFAULTS = { allow_dns: false, allow_cidr: [], allow_namespaces: [], detach: true, cordon: false };

describe("kubernetes:quarantine parameters", () => {
  it("defaults: no DNS, no allowed peers, detach, no cordon, no expiry", () => {
    assert.deepEqual(quarantine.parameters.parse({}), DEFAULTS);
    assert.deepEqual(
      quarantine.parameters.parse({
        allow_dns: "true",
        allow_cidr: "10.0.0.0/8, fd00::/8",
        allow_namespaces: ["forensics"],
        detach: false,
        cordon: true,
        revert_after: "1h30m",
      }),
      {
        allow_dns: true,
        allow_cidr: ["10.0.0.0/8", "fd00::/8"],
        allow_namespaces: ["forensics"],
        detach: false,
        cordon: true,
        revert_after: 5_400_000,
      },
    );
  });

  it("refuses bad values when the rules load", () => {
    assert.match(parameterIssues(quarantine, { allow_cidr: ["10.0.0.1"] })[0] ?? "", /wrong CIDR '10.0.0.1'/);
    assert.match(
      parameterIssues(quarantine, { allow_namespaces: ["../kube-system"] })[0] ?? "",
      /^allow_namespaces: wrong namespace '..\/kube-system'/,
    );
    assert.match(parameterIssues(quarantine, { allow_dns: "maybe" })[0] ?? "", /^allow_dns: /);
    assert.match(parameterIssues(quarantine, { cordon: "perhaps" })[0] ?? "", /^cordon: /);
    assert.deepEqual(parameterIssues(quarantine, { revert_after: "2 hours" }), [
      "revert_after: parameter 'revert_after' '2 hours' is not a duration: use a number and a unit (s, m, h, d), e.g. 30m, 2h, 1h30m",
    ]);
  });

  it("unknown keys are errors, with the closest known key", () => {
    assert.deepEqual(unknownKeys(quarantine.parameters, { allow_dns: true, revert_after: "2h" }), []);
    assert.deepEqual(
      unknownKeys(quarantine.parameters, { allow_dsn: true, labels: {} }).map((u) => [u.key, u.suggestion]),
      [
        ["allow_dsn", "allow_dns"],
        ["labels", undefined],
      ],
    );
  });

  it("permissions narrow to the parameters; cordon makes it node level", () => {
    const perms = (raw: unknown) => quarantine.kubernetesPermissions?.(quarantine.parameters.parse(raw));
    const pods = { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] };
    const policies = {
      apiGroups: ["networking.k8s.io"],
      resources: ["networkpolicies"],
      verbs: ["get", "create", "delete"],
    };
    const detach = [
      { apiGroups: [""], resources: ["services"], verbs: ["list"] },
      { apiGroups: ["apps"], resources: ["replicasets", "statefulsets", "daemonsets"], verbs: ["get"] },
    ];
    const nodes = { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] };
    assert.deepEqual(perms({}), [pods, ...detach, policies]);
    assert.deepEqual(perms({ detach: false }), [pods, policies]);
    assert.deepEqual(perms({ detach: false, cordon: true }), [pods, policies, nodes]);
    assert.deepEqual(quarantine.info.permissions.kubernetes, [pods, ...detach, policies, nodes]);
    assert.equal(quarantine.nodeLevel?.(quarantine.parameters.parse({})), false);
    assert.equal(quarantine.nodeLevel?.(quarantine.parameters.parse({ cordon: true })), true);
  });

  it("is reversible; its record refuses names no request may be built from", () => {
    const record = quarantine.reversible?.record;
    assert.ok(record);
    const good: QuarantineRecord = {
      pod: { namespace: "prod", name: "web-1", uid: "u-1" },
      labels: { removed: { app: "web" }, added: { "falco-talon/quarantine": "0123456789abcdef" } },
      annotations: { added: { "falco-talon/quarantine-rule": "R" }, previous: {} },
      policy: { name: "quarantine-web-1", uid: "p-1", resourceVersion: "7" },
      node: { name: "n1", uid: "n-1", cordoned: true, previous_unschedulable: false },
    };
    assert.deepEqual(record.parse(good), good);
    const { previous: _, ...annotations } = good.annotations;
    assert.deepEqual(record.parse({ ...good, annotations }), good);
    const bad = (over: Partial<QuarantineRecord>) => record.safeParse({ ...good, ...over }).success;
    assert.equal(bad({ pod: { ...good.pod, namespace: ".." } }), false);
    assert.equal(bad({ pod: { ...good.pod, name: "a/../b" } }), false);
    assert.equal(bad({ policy: { name: "x/y", uid: "p", resourceVersion: "1" } }), false);
    assert.equal(
      bad({ node: { name: "N%2F", uid: "n", cordoned: true, previous_unschedulable: false } }),
      false,
    );
    assert.equal(bad({ labels: { removed: { "a b": "x" }, added: {} } }), false);
    assert.equal(bad({ labels: { removed: { app: "not a value" }, added: {} } }), false);
  });
});

describe("kubernetes:quarantine plan", () => {
  it("the label, the labels removed, the policy, the annotations: without any request", async () => {
    const plan = await quarantine.plan?.(input({}));
    assert.deepEqual(plan?.objects, { pod: "web-1", namespace: "prod", networkpolicy: "quarantine-web-1" });
    assert.equal(
      plan?.plan,
      "quarantine the pod 'web-1' in the namespace 'prod': label it falco-talon/quarantine=<a hash of its uid>, remove the labels its controller and Services select on (kept in the annotation falco-talon/quarantine-labels), create the NetworkPolicy 'quarantine-web-1' denying all its ingress and egress (DNS included), annotate it with the rule, time and output of the event",
    );
    assert.deepEqual(plan?.details?.annotations, [
      "falco-talon/quarantine-labels",
      "falco-talon/quarantine-rule",
      "falco-talon/quarantine-time",
      "falco-talon/quarantine-output",
    ]);
  });

  it("with DNS, allowed peers, no detach and cordon", async () => {
    const plan = await quarantine.plan?.(
      input({
        allow_dns: true,
        allow_cidr: ["10.0.0.0/8", "10.0.0.0/8"],
        allow_namespaces: "forensics",
        detach: false,
        cordon: true,
      }),
    );
    assert.equal(
      plan?.plan,
      "quarantine the pod 'web-1' in the namespace 'prod': label it falco-talon/quarantine=<a hash of its uid>, create the NetworkPolicy 'quarantine-web-1' denying all its ingress and egress except DNS to kube-system, the CIDRs 10.0.0.0/8 (both ways), the namespaces forensics (both ways), annotate it with the rule, time and output of the event, cordon its node",
    );
    assert.equal(plan?.details?.cordon, true);
    // The policy as the API server gets it: `from`, not the typed client's `_from`.
    const policy = plan?.details?.policy as { spec: { ingress: Record<string, unknown>[] } };
    assert.deepEqual(Object.keys(policy.spec.ingress[0]!), ["from"]);
  });

  it("a hostile pod name or namespace is refused before anything", async () => {
    await assert.rejects(
      async () => quarantine.plan?.(input({}, { "k8s.pod.name": "../secrets" })),
      InvalidNameError,
    );
    await assert.rejects(
      async () => quarantine.plan?.(input({}, { "k8s.ns.name": "a/b" })),
      InvalidNameError,
    );
  });

  it("run with a hostile name fails without a request", async () => {
    const r = await quarantine.run(input({}, { "k8s.ns.name": "Prod%2F.." }));
    assert.equal(r.status, "failure");
    assert.match(r.error ?? "", /^invalid namespace 'Prod%2F..'/);
    assert.equal(r.undo, undefined);
  });

  it("revert never throws: a cluster it can't reach is a failure", async () => {
    const r = await quarantine.reversible?.revert({
      undo: {
        pod: { namespace: "prod", name: "web-1", uid: "u-1" },
        labels: { removed: {}, added: {} },
        annotations: { added: {}, previous: {} },
      },
      env: noClusterEnv,
      dryRun: true,
    });
    assert.equal(r?.status, "failure");
    assert.deepEqual(r?.objects, { pod: "web-1", namespace: "prod" });
  });
});

describe("kubernetes:quarantine names and policy", () => {
  it("the label value: 16 hex characters from the pod's uid and the action", () => {
    const a = quarantineId("3f2c5b6e-0000-4000-8000-000000000001", "action-a");
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(labelValueProblem(a), undefined);
    assert.equal(quarantineId("3f2c5b6e-0000-4000-8000-000000000001", "action-a"), a);
    assert.notEqual(quarantineId("3f2c5b6e-0000-4000-8000-000000000001", "action-b"), a);
  });

  it("the policy name: quarantine-<pod>, cut and hashed when too long", () => {
    assert.equal(quarantinePolicyName("web-1"), "quarantine-web-1");
    const long = `${"a".repeat(240)}.b-c`;
    const name = quarantinePolicyName(long);
    assert.equal(name.length <= 253, true);
    assert.equal(dnsSubdomainProblem(name), undefined);
    assert.notEqual(name, quarantinePolicyName(`${"a".repeat(240)}.b-d`));
    // The cut keeps 233 characters of the pod's name: one ending on '.' or '-' still gives a valid name.
    for (const cut of [".", "-"]) {
      const name = quarantinePolicyName(`${"a".repeat(232)}${cut}${"b".repeat(20)}`);
      assert.equal(dnsSubdomainProblem(name), undefined, name);
      assert.match(name, /a-[0-9a-f]{8}$/);
    }
  });

  it("the annotations are cut to sane lengths", () => {
    const a = eventAnnotations({ rule: "R", time: "", output: "x".repeat(5000) }, new Date(0));
    assert.equal(a["falco-talon/quarantine-time"], "1970-01-01T00:00:00.000Z");
    assert.equal(a["falco-talon/quarantine-output"]?.length, 2048);
    assert.equal(truncate("😀😀😀😀", 3), "...");
    assert.equal(truncate("😀😀😀😀", 5), "😀😀😀😀");
  });

  it("the policy selects the quarantine label only, denies both ways, lets DNS and the allowed peers through", () => {
    const deny = buildQuarantinePolicy("prod", "quarantine-web-1", "q1", {
      allow_dns: false,
      allow_cidr: [],
      allow_namespaces: [],
    });
    assert.deepEqual(deny.spec, {
      podSelector: { matchLabels: { "falco-talon/quarantine": "q1" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [],
      egress: [],
    });
    const allow = buildQuarantinePolicy("prod", "quarantine-web-1", "q1", {
      allow_dns: true,
      allow_cidr: ["10.0.0.0/8"],
      allow_namespaces: ["forensics"],
    });
    const peers = [
      { ipBlock: { cidr: "10.0.0.0/8" } },
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "forensics" } } },
    ];
    assert.deepEqual(allow.spec?.ingress, [{ _from: peers }]);
    assert.deepEqual(allow.spec?.egress, [
      { to: peers },
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
    assert.deepEqual(allow.metadata?.labels, {
      "app.kubernetes.io/managed-by": "falco-talon",
      "falco-talon/quarantine": "q1",
    });
  });
});

describe("kubernetes:quarantine pod patches", () => {
  const pod = (labels?: Record<string, string>, annotations?: Record<string, string>): V1Pod => ({
    metadata: { name: "web-1", namespace: "prod", uid: "u-1", labels, annotations },
  });
  const Q = "falco-talon/quarantine";

  it("one patch, every value it replaces or removes tested first", () => {
    const p = pod({ app: "web", "pod-template-hash": "abc", tier: "front" }, { note: "x" });
    const change = quarantineChange(p, ["app", "pod-template-hash", "missing"], { [Q]: "q1" }, (removed) => ({
      "falco-talon/quarantine-labels": JSON.stringify(removed),
      note: "y",
    }));
    assert.deepEqual(change, {
      removed: { app: "web", "pod-template-hash": "abc" },
      added: { [Q]: "q1" },
      annotations: { "falco-talon/quarantine-labels": '{"app":"web","pod-template-hash":"abc"}', note: "y" },
      previous: { note: "x" },
    });
    assert.deepEqual(quarantineOps(p, change), [
      { op: "test", path: "/metadata/uid", value: "u-1" },
      { op: "test", path: "/metadata/labels/falco-talon~1quarantine", value: null },
      { op: "add", path: "/metadata/labels/falco-talon~1quarantine", value: "q1" },
      { op: "test", path: "/metadata/labels/app", value: "web" },
      { op: "remove", path: "/metadata/labels/app" },
      { op: "test", path: "/metadata/labels/pod-template-hash", value: "abc" },
      { op: "remove", path: "/metadata/labels/pod-template-hash" },
      { op: "test", path: "/metadata/annotations/falco-talon~1quarantine-labels", value: null },
      {
        op: "add",
        path: "/metadata/annotations/falco-talon~1quarantine-labels",
        value: '{"app":"web","pod-template-hash":"abc"}',
      },
      { op: "test", path: "/metadata/annotations/note", value: "x" },
      { op: "add", path: "/metadata/annotations/note", value: "y" },
    ]);
  });

  it("absent maps are tested absent, then created", () => {
    const p = pod();
    const ops = quarantineOps(
      p,
      quarantineChange(p, [], { [Q]: "q1" }, () => ({ r: "R" })),
    );
    assert.deepEqual(ops, [
      { op: "test", path: "/metadata/uid", value: "u-1" },
      { op: "test", path: "/metadata/labels", value: null },
      { op: "add", path: "/metadata/labels", value: {} },
      { op: "add", path: "/metadata/labels/falco-talon~1quarantine", value: "q1" },
      { op: "test", path: "/metadata/annotations", value: null },
      { op: "add", path: "/metadata/annotations", value: {} },
      { op: "add", path: "/metadata/annotations/r", value: "R" },
    ]);
  });

  const rec: QuarantineRecord = {
    pod: { namespace: "prod", name: "web-1", uid: "u-1" },
    labels: { removed: { app: "web", tier: "front" }, added: { [Q]: "q1" } },
    annotations: { added: { r: "R", note: "y" }, previous: { note: "x" } },
  };
  const where = "the pod 'web-1' in the namespace 'prod'";

  it("revert: labels back, what it set removed or set back, each guarded", () => {
    const r = restoreOps(pod({ [Q]: "q1", other: "o" }, { r: "R", note: "y" }), rec, false);
    assert.deepEqual(r.reverted, [
      `label 'app' on ${where} set back to 'web'`,
      `label 'tier' on ${where} set back to 'front'`,
      `label '${Q}' removed from ${where}`,
      `annotation 'r' removed from ${where}`,
      `annotation 'note' on ${where} set back to its previous value`,
    ]);
    assert.deepEqual([r.unchanged, r.conflicts], [[], []]);
    assert.deepEqual(r.ops, [
      { op: "test", path: "/metadata/uid", value: "u-1" },
      { op: "test", path: "/metadata/labels/app", value: null },
      { op: "add", path: "/metadata/labels/app", value: "web" },
      { op: "test", path: "/metadata/labels/tier", value: null },
      { op: "add", path: "/metadata/labels/tier", value: "front" },
      { op: "test", path: "/metadata/labels/falco-talon~1quarantine", value: "q1" },
      { op: "remove", path: "/metadata/labels/falco-talon~1quarantine" },
      { op: "test", path: "/metadata/annotations/r", value: "R" },
      { op: "remove", path: "/metadata/annotations/r" },
      { op: "test", path: "/metadata/annotations/note", value: "y" },
      { op: "add", path: "/metadata/annotations/note", value: "x" },
    ]);
    assert.deepEqual(
      restoreOps(pod({ [Q]: "q1" }, { r: "R", note: "y" }), rec, true).reverted[0],
      `would set the label 'app' on ${where} back to 'web'`,
    );
  });

  it("revert: a second time, nothing to do; hand changes are conflicts, left alone", () => {
    const again = restoreOps(pod({ app: "web", tier: "front" }, { note: "x" }), rec, false);
    assert.deepEqual(again.ops, []);
    assert.deepEqual(again.unchanged, [
      `label 'app' on ${where} is already 'web'`,
      `label 'tier' on ${where} is already 'front'`,
      `label '${Q}' is already absent from ${where}`,
      `annotation 'r' is already absent from ${where}`,
      `annotation 'note' on ${where} already has its previous value`,
    ]);
    assert.deepEqual(again.conflicts, []);

    const changed = restoreOps(pod({ app: "other", [Q]: "q2" }, { r: "edited", note: "y" }), rec, false);
    assert.deepEqual(changed.conflicts, [
      `label 'app' on ${where} is now 'other' (the quarantine removed 'web'): left alone`,
      `label '${Q}' on ${where} is now 'q2' (the quarantine set 'q1'): left alone`,
      `annotation 'r' on ${where} was changed since the quarantine: left alone`,
    ]);
    assert.deepEqual(changed.ops, [
      { op: "test", path: "/metadata/uid", value: "u-1" },
      { op: "test", path: "/metadata/labels/tier", value: null },
      { op: "add", path: "/metadata/labels/tier", value: "front" },
      { op: "test", path: "/metadata/annotations/note", value: "y" },
      { op: "add", path: "/metadata/annotations/note", value: "x" },
    ]);
  });
});

describe("kubernetes:quarantine run against a scripted API", () => {
  type Body = { body?: unknown; name?: string };
  /** A pod `web-1` in `prod` selected by the Service `web`, and an API whose answers a test scripts. */
  function api(
    script: { patchPod?: (body: unknown, n: number) => unknown; createPolicy?: () => unknown } = {},
  ) {
    const calls: string[] = [];
    let pod: V1Pod = {
      metadata: { name: "web-1", namespace: "prod", uid: "u-1", labels: { app: "web", tier: "front" } },
    };
    let patches = 0;
    const kube = {
      core: {
        readNamespacedPod: async () => {
          calls.push("get pod");
          return structuredClone(pod);
        },
        listNamespacedService: async () => {
          calls.push("list services");
          return { items: [{ metadata: { name: "web" }, spec: { selector: { app: "web" } } }] };
        },
        patchNamespacedPod: async ({ body }: Body) => {
          calls.push("patch pod");
          return script.patchPod?.(body, ++patches) ?? pod;
        },
      },
      networking: {
        createNamespacedNetworkPolicy: async ({ body }: Body) => {
          calls.push("create networkpolicy");
          if (script.createPolicy) return script.createPolicy();
          const b = body as { metadata: object };
          return { ...b, metadata: { ...b.metadata, uid: "p-1", resourceVersion: "1" } };
        },
        readNamespacedNetworkPolicy: async () => {
          calls.push("get networkpolicy");
          return { metadata: { uid: "p-1", resourceVersion: "1" }, spec: {} };
        },
        deleteNamespacedNetworkPolicy: async () => {
          calls.push("delete networkpolicy");
          return {};
        },
      },
    };
    const env = { ...noClusterEnv, kube: async () => kube, signal: new AbortController().signal };
    return {
      calls,
      env: env as unknown as PluginEnv,
      setPod: (p: V1Pod) => {
        pod = p;
      },
    };
  }
  const apiError = (code: number, message: string) => Object.assign(new Error(message), { code });
  const run = (env: PluginEnv, raw: unknown = {}) =>
    quarantine.run({ ...actionInput(quarantine, raw), env, memo: new Map() });

  it("a pod that can't be patched: the policy created first is deleted again, nothing to undo", async () => {
    const a = api({
      patchPod: () => {
        throw apiError(403, "pods is forbidden");
      },
    });
    const r = await run(a.env);
    assert.equal(r.status, "failure");
    assert.equal(r.error, "pods is forbidden (the NetworkPolicy 'quarantine-web-1' was deleted)");
    assert.equal(r.undo, undefined);
    // The roll-back is the revert of what was done so far: it reads the pod (nothing to undo
    // there) and deletes the policy.
    assert.deepEqual(a.calls, [
      "get pod",
      "list services",
      "create networkpolicy",
      "patch pod",
      "get pod",
      "get networkpolicy",
      "delete networkpolicy",
    ]);
  });

  it("a pod changed between the read and the patch (422) is read again and the patch rebuilt", async () => {
    const bodies: unknown[] = [];
    const a = api({
      patchPod: (body, n) => {
        bodies.push(body);
        if (n === 1) {
          a.setPod({
            metadata: { name: "web-1", namespace: "prod", uid: "u-1", labels: { app: "web", tier: "back" } },
          });
          throw apiError(422, "testing value /metadata/labels/app failed");
        }
        return {};
      },
    });
    const r = await run(a.env);
    assert.equal(r.status, "success", r.error);
    assert.equal(bodies.length, 2);
    const undo = r.undo as QuarantineRecord;
    assert.deepEqual(undo.labels.removed, { app: "web" });
    assert.deepEqual(undo.policy, { name: "quarantine-web-1", uid: "p-1", resourceVersion: "1" });
    assert.equal(
      r.output,
      `the pod 'web-1' in the namespace 'prod' has been quarantined: label falco-talon/quarantine=${undo.labels.added["falco-talon/quarantine"]} set, labels 'app' removed (selected by service 'web'), NetworkPolicy 'quarantine-web-1' created`,
    );
  });

  it("a policy of that name left by another quarantine is in the way: nothing is changed", async () => {
    const a = api({
      createPolicy: () => {
        throw apiError(409, "already exists");
      },
    });
    const r = await run(a.env);
    assert.equal(r.status, "failure");
    assert.match(
      r.error ?? "",
      /^the NetworkPolicy 'quarantine-web-1' in the namespace 'prod' already exists/,
    );
    assert.ok(!a.calls.includes("patch pod"));
  });

  it("a pod already quarantined is ignored", async () => {
    const a = api();
    a.setPod({
      metadata: { name: "web-1", namespace: "prod", uid: "u-1", labels: { "falco-talon/quarantine": "q0" } },
    });
    const r = await run(a.env);
    assert.deepEqual(r, {
      status: "ignored",
      output: "the pod 'web-1' in the namespace 'prod' is already quarantined (falco-talon/quarantine=q0)",
      objects: { pod: "web-1", namespace: "prod" },
    });
  });
});
