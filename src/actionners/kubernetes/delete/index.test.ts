import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import { InvalidNameError } from "../../../kube/names.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import k8sDelete from "./index.js";

/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

function input(target: Record<string, string>): ActionInput<Record<string, never>> {
  const fields = Object.fromEntries(Object.entries(target).map(([k, v]) => [`ka.target.${k}`, v]));
  const event = decodeEvent(JSON.stringify({ rule: "R", source: "k8s_audit", output_fields: fields }));
  return { event, parameters: {}, vars: new Map(), rule: "R", action: "a", env };
}

describe("kubernetes:delete", () => {
  it("takes no parameters", () => {
    assert.deepEqual(k8sDelete.parameters.parse({}), {});
  });

  it("plan: a namespaced resource, without any request", async () => {
    assert.deepEqual(
      await k8sDelete.plan?.(input({ resource: "configmaps", name: "cfg", namespace: "prod" })),
      {
        objects: { name: "cfg", resource: "configmaps", namespace: "prod" },
        plan: "delete the configmap 'cfg' in the namespace 'prod'",
        details: { resource: "configmaps", name: "cfg", namespace: "prod" },
      },
    );
  });

  it("plan: a cluster-scoped resource takes no namespace", async () => {
    assert.deepEqual(
      await k8sDelete.plan?.(input({ resource: "namespaces", name: "prod", namespace: "x" })),
      {
        objects: { name: "prod", resource: "namespaces", namespace: "" },
        plan: "delete the namespace 'prod'",
        details: { resource: "namespaces", name: "prod" },
      },
    );
  });

  it("plan: unmanaged, incomplete and invalid targets are refused", async () => {
    const refused = (target: Record<string, string>) => (async () => k8sDelete.plan?.(input(target)))();
    await assert.rejects(refused({ resource: "nodes", name: "n1" }), {
      message: "the resource doesn't exist or its type is not yet managed",
    });
    await assert.rejects(refused({ resource: "configmaps", name: "cfg" }), { message: "missing namespace" });
    await assert.rejects(refused({ name: "cfg" }), { message: "missing resource" });
    await assert.rejects(
      refused({ resource: "configmaps", name: "..", namespace: "prod" }),
      InvalidNameError,
    );
  });
});
