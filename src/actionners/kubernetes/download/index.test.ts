import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import { buildVars } from "../../../templating/substitute.js";
import download from "./index.js";

const event = decodeEvent(
  JSON.stringify({
    rule: "R",
    output_fields: { "k8s.pod.name": "web-1", "k8s.ns.name": "prod", "fd.name": "/etc/shadow; rm -rf /" },
  }),
);
/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

function input(raw: unknown): ActionInput<ReturnType<typeof download.parameters.parse>> {
  return {
    event,
    parameters: download.parameters.parse(raw),
    vars: buildVars(event),
    rule: "R",
    action: "a",
    env,
  };
}

describe("kubernetes:download", () => {
  it("validates parameters", () => {
    assert.throws(() => download.parameters.parse({}));
    assert.deepEqual(download.parameters.parse({ file: "/etc/passwd" }), { file: "/etc/passwd" });
    assert.equal(download.info.requireOutput, true);
  });

  it("a blank file is refused with its own message", () => {
    const r = download.parameters.safeParse({ file: "  " });
    assert.deepEqual(
      r.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      ["file: parameter 'file' is required"],
    );
  });

  it("plan: the substituted path as one argv entry of cat, without any request", async () => {
    assert.deepEqual(await download.plan?.(input({ file: "${FD_NAME}" })), {
      objects: { pod: "web-1", namespace: "prod", file: "/etc/shadow; rm -rf /" },
      plan: "download the file '/etc/shadow; rm -rf /' from the first container that has it of the pod 'web-1' in the namespace 'prod'",
      details: { command: ["cat", "--", "/etc/shadow; rm -rf /"] },
    });
    const named = await download.plan?.(input({ file: "/tmp/x", container: "app" }));
    assert.equal(
      named?.plan,
      "download the file '/tmp/x' from the container 'app' of the pod 'web-1' in the namespace 'prod'",
    );
    assert.deepEqual(named?.details, { command: ["cat", "--", "/tmp/x"], container: "app" });
  });
});
