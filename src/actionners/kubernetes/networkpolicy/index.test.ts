import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput } from "../../../../test/support/actionner-input.js";
import networkpolicy, { buildNetworkPolicy } from "./index.js";

const input = (raw: unknown) => actionInput(networkpolicy, raw);

describe("kubernetes:networkpolicy", () => {
  it("validates CIDRs and namespaces", () => {
    assert.deepEqual(networkpolicy.parameters.parse({}), { allow_cidr: [], allow_namespaces: [] });
    assert.throws(
      () => networkpolicy.parameters.parse({ allow_cidr: ["10.0.0.0/33"] }),
      /wrong CIDR '10.0.0.0\/33'/,
    );
    assert.throws(
      () => networkpolicy.parameters.parse({ allow_cidr: ["10.0.0.1"] }),
      /wrong CIDR '10.0.0.1'/,
    );
    assert.throws(() => networkpolicy.parameters.parse({ allow_cidr: ["fd00::/129"] }), /wrong CIDR/);
    assert.deepEqual(networkpolicy.parameters.parse({ allow_cidr: ["fd00::/8", "10.0.0.0/8"] }).allow_cidr, [
      "fd00::/8",
      "10.0.0.0/8",
    ]);
    assert.throws(() => networkpolicy.parameters.parse({ allow_namespaces: ["Bad_NS"] }), /wrong namespace/);
  });

  it("revert_after: a duration is milliseconds, anything else is refused when the rules load", () => {
    assert.equal(networkpolicy.parameters.parse({ revert_after: "1h30m" }).revert_after, 5_400_000);
    assert.equal(networkpolicy.parameters.parse({}).revert_after, undefined);
    assert.throws(
      () => networkpolicy.parameters.parse({ revert_after: "30 min" }),
      /'30 min' is not a duration/,
    );
    assert.throws(() => networkpolicy.parameters.parse({ revert_after: "100d" }), /out of range/);
    assert.throws(() => networkpolicy.parameters.parse({ revert_after: 30 }), /should be a duration/);
    assert.ok(networkpolicy.reversible, "the actionner is reversible");
  });

  it("namespaces naming no valid namespace are refused when the rules load", () => {
    const r = networkpolicy.parameters.safeParse({ allow_namespaces: ["Victim"] });
    const issues = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.match(issues[0] ?? "", /wrong namespace 'Victim'/);
  });

  it("a comma string is a list", () => {
    assert.deepEqual(
      networkpolicy.parameters.parse({ allow_cidr: "10.0.0.0/8, fd00::/8", allow_namespaces: "a" }),
      {
        allow_cidr: ["10.0.0.0/8", "fd00::/8"],
        allow_namespaces: ["a"],
      },
    );
  });

  it("buildNetworkPolicy: no rule denies all egress; allows are deduplicated", () => {
    const w = { name: "web", kind: "Deployment", selector: { app: "web" } };
    const deny = buildNetworkPolicy("prod", w, networkpolicy.parameters.parse({}));
    assert.deepEqual(deny, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "web",
        namespace: "prod",
        labels: { app: "web", "app.kubernetes.io/managed-by": "falco-talon" },
      },
      spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"], egress: [] },
    });
    const allow = buildNetworkPolicy(
      "prod",
      w,
      networkpolicy.parameters.parse({ allow_cidr: ["10.0.0.0/8", "10.0.0.0/8"], allow_namespaces: ["dns"] }),
    );
    assert.deepEqual(allow.spec?.egress, [
      {
        to: [
          { ipBlock: { cidr: "10.0.0.0/8" } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns" } } },
        ],
      },
    ]);
  });

  it("plan: deny all, or deny with the allows, without any request", async () => {
    assert.deepEqual(await networkpolicy.plan?.(input({})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "create or update the NetworkPolicy named after the workload of the pod 'web-1' in the namespace 'prod': deny all its egress (DNS included)",
      details: { allow_cidr: [], allow_namespaces: [] },
    });
    const p = await networkpolicy.plan?.(
      input({ allow_cidr: ["10.0.0.0/8", "10.0.0.0/8"], allow_namespaces: "kube-system" }),
    );
    assert.equal(
      p?.plan,
      "create or update the NetworkPolicy named after the workload of the pod 'web-1' in the namespace 'prod': deny its egress, allow egress to the CIDRs 10.0.0.0/8 and the namespaces kube-system",
    );
  });
});
