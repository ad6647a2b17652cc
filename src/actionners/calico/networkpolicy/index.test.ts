import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import { InvalidNameError } from "../../../kube/names.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import calico, { buildCalicoSpec, calicoSelector, namespaceSelector } from "./index.js";

const podEvent = (extra: Record<string, string> = {}) =>
  decodeEvent(
    JSON.stringify({
      rule: "R",
      output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod", ...extra },
    }),
  );
/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

function input(raw: unknown, extra: Record<string, string> = { "fd.rip": "10.1.2.3" }) {
  const i: ActionInput<ReturnType<typeof calico.parameters.parse>> = {
    event: podEvent(extra),
    parameters: calico.parameters.parse(raw),
    vars: new Map(),
    rule: "R",
    action: "a",
    env,
  };
  return i;
}

const web = { name: "web", kind: "Deployment", selector: { tier: "front", app: "web" } };

describe("calico:networkpolicy", () => {
  it("validates CIDRs and the order", () => {
    assert.throws(() => calico.parameters.parse({ allow_cidr: "nope" }), /wrong CIDR 'nope'/);
    assert.deepEqual(calico.parameters.parse({ order: "20" }).order, 20);
    assert.deepEqual(calico.parameters.parse({}), { allow_cidr: [], allow_namespaces: [], order: 0 });
  });

  it("revert_after: a duration is milliseconds, anything else is refused when the rules load", () => {
    assert.equal(calico.parameters.parse({ revert_after: "1h30m" }).revert_after, 5_400_000);
    assert.equal(calico.parameters.parse({}).revert_after, undefined);
    assert.throws(() => calico.parameters.parse({ revert_after: "30 min" }), /'30 min' is not a duration/);
    assert.throws(() => calico.parameters.parse({ revert_after: "100d" }), /out of range/);
    assert.throws(() => calico.parameters.parse({ revert_after: 30 }), /should be a duration/);
    assert.ok(calico.reversible, "the actionner is reversible");
  });

  it("CIDRs naming no valid CIDR are refused when the rules load", () => {
    const r = calico.parameters.safeParse({ allow_cidr: ["10.0.0.0/33"] });
    const issues = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.match(issues[0] ?? "", /wrong CIDR '10\.0\.0\.0\/33': the prefix length/);
  });

  it("selectors: exact label matches with sorted keys, namespaces by Calico's name label", () => {
    assert.equal(calicoSelector(web.selector), 'app == "web" && tier == "front"');
    assert.equal(namespaceSelector(["a", "b"]), "projectcalico.org/name in {'a', 'b'}");
  });

  it("buildCalicoSpec: one Deny with the old denies and the new one, then the allows", () => {
    const p = calico.parameters.parse({ order: 20 });
    const first = buildCalicoSpec(web, p, "10.1.2.3/32");
    assert.deepEqual(first, {
      order: 20,
      selector: 'app == "web" && tier == "front"',
      types: ["Egress"],
      egress: [
        { action: "Deny", destination: { nets: ["10.1.2.3/32"] } },
        { action: "Allow", destination: { nets: ["0.0.0.0/0"] } },
        { action: "Allow", destination: { nets: ["::/0"] } },
      ],
    });
    const allows = calico.parameters.parse({ allow_cidr: ["192.168.0.0/16"], allow_namespaces: ["dns"] });
    const second = buildCalicoSpec(web, allows, "2001:db8::1/128", first);
    assert.deepEqual(second.egress, [
      { action: "Deny", destination: { nets: ["10.1.2.3/32", "2001:db8::1/128"] } },
      { action: "Allow", destination: { nets: ["192.168.0.0/16"] } },
      { action: "Allow", destination: { namespaceSelector: "projectcalico.org/name in {'dns'}" } },
    ]);
    assert.deepEqual(buildCalicoSpec(web, allows, "10.1.2.3/32", second).egress?.[0], second.egress?.[0]);
  });

  it("plan: the deny of the event's remote IP, without any request", async () => {
    assert.deepEqual(await calico.plan?.(input({ allow_cidr: ["192.168.0.0/16"] })), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "create or update the NetworkPolicy (projectcalico.org/v3) named after the workload of the pod 'web-1' in the namespace 'prod': deny egress to 10.1.2.3/32, allow egress to the CIDRs 192.168.0.0/16",
      details: {
        apiVersion: "projectcalico.org/v3",
        kind: "NetworkPolicy",
        deny: "10.1.2.3/32",
        parameters: { allow_cidr: ["192.168.0.0/16"], allow_namespaces: [], order: 0 },
      },
    });
    const v6 = await calico.plan?.(input({}, { "fd.sip": "2001:db8::1" }));
    assert.equal(v6?.details?.deny, "2001:db8::1/128");
  });

  it("plan: a missing or invalid remote IP is refused", async () => {
    await assert.rejects((async () => calico.plan?.(input({}, {})))(), /missing remote IP/);
    await assert.rejects(
      (async () => calico.plan?.(input({}, { "fd.rip": "10.0.0.300" })))(),
      (err: unknown) =>
        err instanceof InvalidNameError &&
        err.message === "invalid IP '10.0.0.300' in fd.rip: must be an IPv4 or IPv6 address",
    );
  });
});
