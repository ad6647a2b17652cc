import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionInput } from "../../../../test/support/actionner-input.js";
import drain from "./index.js";

const input = (raw: unknown) => actionInput(drain, raw);

describe("kubernetes:drain", () => {
  it("validates parameters and is node level", () => {
    assert.deepEqual(drain.parameters.parse({}), {
      ignore_daemonsets: false,
      ignore_statefulsets: false,
      ignore_errors: false,
      max_wait_period: 0,
      wait_period_excluded_namespaces: [],
    });
    assert.deepEqual(drain.parameters.parse({ min_healthy_replicas: "50%" }).min_healthy_replicas, {
      kind: "percent",
      value: 50,
    });
    assert.throws(() => drain.parameters.parse({ max_wait_period: -1 }));
    assert.equal(drain.nodeLevel?.(drain.parameters.parse({})), true);
  });

  it("rejections name the parameter", () => {
    const issues = (raw: unknown) =>
      drain.parameters.safeParse(raw).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    assert.match(issues({ max_wait_period: -1 })[0] ?? "", /^max_wait_period: .*>=0/);
    assert.deepEqual(issues({ min_healthy_replicas: "101%" }), [
      "min_healthy_replicas: wrong value for 'min_healthy_replicas': '101%' (percentage above 100)",
    ]);
    assert.deepEqual(
      drain.parameters.parse({ wait_period_excluded_namespaces: "a, b" }).wait_period_excluded_namespaces,
      ["a", "b"],
    );
  });

  it("plan: what is evicted and how long it waits, without any request", async () => {
    assert.deepEqual(await drain.plan?.(input({})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "evict every pod of the node of the pod 'web-1' in the namespace 'prod' (except mirror pods)",
      details: {
        ignore_daemonsets: false,
        ignore_statefulsets: false,
        ignore_errors: false,
        max_wait_period: 0,
      },
    });
    const p = await drain.plan?.(
      input({ ignore_daemonsets: true, max_wait_period: 90, min_healthy_replicas: 2 }),
    );
    assert.equal(
      p?.plan,
      "evict every pod of the node of the pod 'web-1' in the namespace 'prod' (except daemonsets' pods, mirror pods), waiting up to 90s for them to be gone",
    );
    assert.equal(p?.details?.min_healthy_replicas, "2");
  });
});
