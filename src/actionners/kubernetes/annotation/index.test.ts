import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import annotation from "./index.js";

const event = decodeEvent(
  JSON.stringify({ rule: "R", output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod" } }),
);
/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

function input(raw: unknown): ActionInput<ReturnType<typeof annotation.parameters.parse>> {
  return {
    event,
    parameters: annotation.parameters.parse(raw),
    vars: new Map(),
    rule: "R",
    action: "a",
    env,
  };
}

/** `path: message` of each problem with the parameters. */
function issues(raw: unknown): string[] {
  const r = annotation.parameters.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("kubernetes:annotation", () => {
  it("rejects an empty map", () => {
    assert.throws(
      () => annotation.parameters.parse({ annotations: {} }),
      /parameter 'annotations' should have at least one annotation/,
    );
  });

  it("keys must be qualified names; values are free text", () => {
    assert.match(issues({ annotations: { "..": "x" } })[0] ?? "", /invalid annotation key '\.\.'/);
    assert.deepEqual(issues({ annotations: { "falco.org/rule": "free text: ü ../ %2e" } }), []);
    assert.deepEqual(annotation.parameters.parse({ annotations: { n: 1, off: false } }), {
      annotations: { n: "1", off: "false" },
      level: "pod",
    });
  });

  it("plan: the annotations set on the pod's node, without any request", async () => {
    assert.deepEqual(
      await annotation.plan?.(input({ annotations: { "falco.org/rule": "x" }, level: "node" })),
      {
        objects: { pod: "web-1", namespace: "prod" },
        plan: `set annotations {"falco.org/rule":"x"} on the node of the pod 'web-1' in the namespace 'prod'`,
        details: { level: "node", set: { "falco.org/rule": "x" }, remove: [] },
      },
    );
    assert.equal(
      annotation.nodeLevel?.(annotation.parameters.parse({ annotations: { a: "b" }, level: "node" })),
      true,
    );
  });
});
