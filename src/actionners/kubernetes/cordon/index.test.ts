import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import cordon from "./index.js";

const event = decodeEvent(
  JSON.stringify({ rule: "R", output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod" } }),
);
/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

describe("kubernetes:cordon", () => {
  it("takes no parameters and is node level", () => {
    assert.deepEqual(cordon.parameters.parse({}), {});
    assert.equal(cordon.nodeLevel?.({}), true);
  });

  it("plan: the patch on the pod's node, without any request", async () => {
    const input: ActionInput<Record<string, never>> = {
      event,
      parameters: {},
      vars: new Map(),
      rule: "R",
      action: "a",
      env,
    };
    assert.deepEqual(await cordon.plan?.(input), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "cordon the node of the pod 'web-1' in the namespace 'prod' (mark it unschedulable)",
      details: { patch: [{ op: "add", path: "/spec/unschedulable", value: true }] },
    });
  });
});
