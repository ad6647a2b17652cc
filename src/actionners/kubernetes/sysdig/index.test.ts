import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { actionInput } from "../../../../test/support/actionner-input.js";
import sysdig, { podFilter } from "./index.js";

const input = (raw: unknown) => actionInput(sysdig, raw);

describe("kubernetes:sysdig", () => {
  it("validates parameters", () => {
    assert.deepEqual(sysdig.parameters.parse({}), {
      duration: 5,
      buffer_size: 2048,
      scope: "pod",
      image: "issif/sysdig:latest",
      namespace: "falco-talon",
      shell: "/bin/sh",
      start_timeout: 60,
    });
    assert.throws(() => sysdig.parameters.parse({ duration: 0 }));
    assert.throws(() => sysdig.parameters.parse({ duration: 31 }));
    assert.throws(() => sysdig.parameters.parse({ buffer_size: 64 }));
    assert.throws(() => sysdig.parameters.parse({ scope: "cluster" }));
    assert.equal(sysdig.info.requireOutput, true);
  });

  it("a namespace parameter naming no valid namespace is refused when the rules load", () => {
    const r = sysdig.parameters.safeParse({ namespace: ".." });
    const issues = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.match(issues[0] ?? "", /^namespace: invalid namespace '\.\.'/);
  });

  it("rejections name the parameter", () => {
    const paths = (raw: unknown) =>
      sysdig.parameters.safeParse(raw).error?.issues.map((i) => i.path.join("."));
    assert.deepEqual(paths({ duration: 0 }), ["duration"]);
    assert.deepEqual(paths({ duration: 31 }), ["duration"]);
    assert.deepEqual(paths({ buffer_size: 64 }), ["buffer_size"]);
    assert.deepEqual(paths({ scope: "cluster" }), ["scope"]);
  });

  it("podFilter: the container ids, else the pod's metadata", () => {
    const pod = (ids: string[]): V1Pod => ({
      metadata: { name: "web-1", namespace: "prod" },
      status: { containerStatuses: ids.map((containerID) => ({ containerID }) as never) },
    });
    assert.equal(
      podFilter(pod(["containerd://0123456789abcdef0123", "docker://fedcba9876543210"])),
      "container.id in (0123456789ab,fedcba987654)",
    );
    assert.equal(podFilter(pod([])), "k8s.ns.name=prod and k8s.pod.name=web-1");
  });

  it("plan: the Job in its own namespace, without any request", async () => {
    assert.deepEqual(await sysdig.plan?.(input({})), {
      objects: { pod: "web-1", namespace: "prod" },
      plan: "create a privileged Job (image 'issif/sysdig:latest') in the namespace 'falco-talon' on the node of the pod 'web-1' in the namespace 'prod', capture 5s of syscalls (scope pod), fetch the capture and delete the Job",
      details: {
        job_namespace: "falco-talon",
        image: "issif/sysdig:latest",
        duration: 5,
        buffer_size: 2048,
        scope: "pod",
      },
    });
  });

  it("plan: the target's own namespace is refused", async () => {
    await assert.rejects((async () => sysdig.plan?.(input({ namespace: "prod" })))(), {
      message:
        "the sysdig job can't run in the target's namespace 'prod': set the parameter 'namespace' to a dedicated one",
    });
  });
});
