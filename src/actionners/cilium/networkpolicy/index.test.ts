import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import cilium, { buildCiliumSpec, ciliumAllows } from "./index.js";

const event = decodeEvent(
  JSON.stringify({
    rule: "R",
    output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod", "fd.rip": "10.1.2.3" },
  }),
);
/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

const web = { name: "web", kind: "Deployment", selector: { app: "web" } };

describe("cilium:networkpolicy", () => {
  it("validates CIDRs and namespaces", () => {
    assert.deepEqual(cilium.parameters.parse({}), { allow_cidr: [], allow_namespaces: [] });
    assert.throws(
      () => cilium.parameters.parse({ allow_cidr: ["10.0.0.0/33"] }),
      /wrong CIDR '10\.0\.0\.0\/33'/,
    );
    assert.throws(
      () => cilium.parameters.parse({ allow_namespaces: ["Bad_NS"] }),
      /wrong namespace 'Bad_NS'/,
    );
  });

  it("revert_after: a duration is milliseconds, anything else is refused when the rules load", () => {
    assert.equal(cilium.parameters.parse({ revert_after: "1h30m" }).revert_after, 5_400_000);
    assert.equal(cilium.parameters.parse({}).revert_after, undefined);
    assert.throws(() => cilium.parameters.parse({ revert_after: "30 min" }), /'30 min' is not a duration/);
    assert.throws(() => cilium.parameters.parse({ revert_after: "100d" }), /out of range/);
    assert.throws(() => cilium.parameters.parse({ revert_after: 30 }), /should be a duration/);
    assert.ok(cilium.reversible, "the actionner is reversible");
  });

  it("ciliumAllows: every entity by default (in-cluster peers and DNS included), else the allows", () => {
    assert.deepEqual(ciliumAllows(cilium.parameters.parse({})), [{ toEntities: ["all"] }]);
    assert.deepEqual(
      ciliumAllows(cilium.parameters.parse({ allow_cidr: ["10.0.0.0/8"], allow_namespaces: ["a"] })),
      [
        { toCIDR: ["10.0.0.0/8"] },
        {
          toEndpoints: [
            { matchExpressions: [{ key: "k8s:io.kubernetes.pod.namespace", operator: "In", values: ["a"] }] },
          ],
        },
      ],
    );
  });

  it("buildCiliumSpec: the old denies plus the new one, once", () => {
    const p = cilium.parameters.parse({});
    const first = buildCiliumSpec(web, p, "10.1.2.3/32");
    assert.deepEqual(first, {
      description: "Network policy created by Falco Talon",
      endpointSelector: { matchLabels: { app: "web" } },
      egressDeny: [{ toCIDR: ["10.1.2.3/32"] }],
      egress: [{ toEntities: ["all"] }],
    });
    const second = buildCiliumSpec(web, p, "2001:db8::2/128", first);
    assert.deepEqual(buildCiliumSpec(web, p, "10.1.2.3/32", second).egressDeny, [
      { toCIDR: ["10.1.2.3/32", "2001:db8::2/128"] },
    ]);
  });

  it("plan: the deny of the event's remote IP, without any request", async () => {
    const input: ActionInput<ReturnType<typeof cilium.parameters.parse>> = {
      event,
      parameters: cilium.parameters.parse({}),
      vars: new Map(),
      rule: "R",
      action: "a",
      env,
    };
    assert.deepEqual(await cilium.plan?.(input), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "create or update the CiliumNetworkPolicy (cilium.io/v2) named after the workload of the pod 'web-1' in the namespace 'prod': deny egress to 10.1.2.3/32, allow all other egress",
      details: {
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        deny: "10.1.2.3/32",
        parameters: { allow_cidr: [], allow_namespaces: [] },
      },
    });
  });
});
