import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput, podEvent } from "../../../../test/support/actionner-input.js";
import { buildVars } from "../../../templating/substitute.js";
import download from "./index.js";

const event = podEvent({ "fd.name": "/etc/shadow; rm -rf /" });
const input = (raw: unknown) => actionInput(download, raw, { event, vars: buildVars(event) });

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
