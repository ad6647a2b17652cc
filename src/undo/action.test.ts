import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { actionId } from "./action.js";

describe("actionId", () => {
  it("is stable: the first 20 hex digits of sha256(event \\0 rule \\0 action), as kept records carry", () => {
    const id = actionId("f1b2a3c4-0000-4000-8000-000000000001", "Terminal shell", "label the pod");
    const expected = createHash("sha256")
      .update("f1b2a3c4-0000-4000-8000-000000000001\u0000Terminal shell\u0000label the pod")
      .digest("hex")
      .slice(0, 20);
    assert.equal(id, expected);
    assert.match(id, /^[0-9a-f]{20}$/);
  });

  it("differs when any part differs, and parts cannot run into each other", () => {
    const ids = new Set([
      actionId("e", "r", "a"),
      actionId("e", "r", "b"),
      actionId("e", "s", "a"),
      actionId("f", "r", "a"),
      actionId("e\u0000r", "", "a"),
    ]);
    assert.equal(ids.size, 5);
  });
});
