import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEvent } from "../../../events/decode.js";
import { InvalidNameError } from "../../../kube/names.js";
import type { ActionInput, PluginEnv } from "../../../plugins/types.js";
import terminate from "./index.js";

const podEvent = (pod: string) =>
  decodeEvent(JSON.stringify({ rule: "R", output_fields: { "k8s.pod.name": pod, "k8s.ns.name": "prod" } }));
/** A plan sends no request: any use of the cluster fails the test. */
const env = {
  async kube() {
    throw new Error("the plan sent a request");
  },
} as unknown as PluginEnv;

function input(raw: unknown, pod = "web-1"): ActionInput<ReturnType<typeof terminate.parameters.parse>> {
  return {
    event: podEvent(pod),
    parameters: terminate.parameters.parse(raw),
    vars: new Map(),
    rule: "R",
    action: "a",
    env,
  };
}

describe("kubernetes:terminate", () => {
  it("validates parameters", () => {
    const p = terminate.parameters.parse({});
    assert.deepEqual(p, {
      grace_period_seconds: 0,
      ignore_daemonsets: false,
      ignore_statefulsets: false,
      ignore_standalone_pods: false,
    });
    assert.deepEqual(terminate.parameters.parse({ min_healthy_replicas: "33%" }).min_healthy_replicas, {
      kind: "percent",
      value: 33,
    });
    assert.deepEqual(terminate.parameters.parse({ min_healthy_replicas: 2 }).min_healthy_replicas, {
      kind: "count",
      value: 2,
    });
    assert.throws(() => terminate.parameters.parse({ min_healthy_replicas: "x33%" }), /min_healthy_replicas/);
    assert.throws(() => terminate.parameters.parse({ min_healthy_replicas: "150%" }), /above 100/);
    assert.throws(() => terminate.parameters.parse({ grace_period_seconds: -1 }));
  });

  it("rejections name the parameter and the reason", () => {
    const issues = (raw: unknown) =>
      terminate.parameters.safeParse(raw).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.deepEqual(issues({ min_healthy_replicas: "x33%" }), [
      "min_healthy_replicas: wrong value for 'min_healthy_replicas': 'x33%' (expected N or N%)",
    ]);
    assert.deepEqual(issues({ min_healthy_replicas: "150%" }), [
      "min_healthy_replicas: wrong value for 'min_healthy_replicas': '150%' (percentage above 100)",
    ]);
    assert.match(issues({ grace_period_seconds: -1 })?.[0] ?? "", /^grace_period_seconds: .*>=0/);
    assert.match(issues({ ignore_daemonsets: "maybe" })?.[0] ?? "", /^ignore_daemonsets: /);
    assert.equal(
      terminate.parameters.parse({ grace_period_seconds: "5", ignore_daemonsets: "yes" })
        .grace_period_seconds,
      5,
    );
  });

  it("plan: the DELETE and the grace period, without any request", async () => {
    assert.deepEqual(await terminate.plan?.(input({})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "delete the pod 'web-1' in the namespace 'prod' with a grace period of 0s",
      details: {
        request: "DELETE pods/web-1 in the namespace prod",
        grace_period_seconds: 0,
        ignore_daemonsets: false,
        ignore_statefulsets: false,
        ignore_standalone_pods: false,
      },
    });
  });

  it("plan: the pods it spares", async () => {
    const p = await terminate.plan?.(
      input({
        ignore_daemonsets: true,
        ignore_standalone_pods: true,
        min_healthy_replicas: "33%",
        grace_period_seconds: 5,
      }),
    );
    assert.equal(
      p?.plan,
      "delete the pod 'web-1' in the namespace 'prod' with a grace period of 5s (unless it is a daemonset's or a standalone pod, unless its workload would keep fewer than 33% healthy replicas)",
    );
    assert.equal(p?.details?.min_healthy_replicas, "33%");
  });

  it("plan: an invalid pod name is refused", async () => {
    await assert.rejects(
      (async () => terminate.plan?.(input({}, "..")))(),
      (err: unknown) =>
        err instanceof InvalidNameError && /invalid pod name '\.\.' in k8s\.pod\.name/.test(err.message),
    );
  });
});
