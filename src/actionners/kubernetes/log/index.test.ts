import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput } from "../../../../test/support/actionner-input.js";
import log from "./index.js";

const input = (raw: unknown) => actionInput(log, raw);

describe("kubernetes:log", () => {
  it("validates parameters (tail_lines ≤ 0 means 20)", () => {
    assert.deepEqual(log.parameters.parse({}), { tail_lines: 20 });
    assert.equal(log.parameters.parse({ tail_lines: 0 }).tail_lines, 20);
    assert.equal(log.parameters.parse({ tail_lines: -3 }).tail_lines, 20);
    assert.equal(log.parameters.parse({ tail_lines: "5" }).tail_lines, 5);
    assert.throws(() => log.parameters.parse({ tail_lines: "many" }));
    assert.equal(log.info.allowOutput, true);
    assert.equal(log.info.requireOutput, false);
  });

  it("a container parameter naming no valid container is refused when the rules load", () => {
    const r = log.parameters.safeParse({ container: "../x" });
    const issues = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.match(issues[0] ?? "", /^container: invalid container name/);
  });

  it("plan: every container by default, or the named one, without any request", async () => {
    assert.deepEqual(await log.plan?.(input({})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "read the last 20 log lines of every container of the pod 'web-1' in the namespace 'prod'",
      details: { tail_lines: 20 },
    });
    assert.deepEqual(await log.plan?.(input({ tail_lines: 5, container: "app" })), {
      objects: { pod: "web-1", namespace: "prod", container: "app" },
      plan: "read the last 5 log lines of the container 'app' of the pod 'web-1' in the namespace 'prod'",
      details: { tail_lines: 5, container: "app" },
    });
  });
});
