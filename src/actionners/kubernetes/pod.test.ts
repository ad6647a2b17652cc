import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiException, type V1Node, type V1Pod } from "@kubernetes/client-node";
import { decodeEvent } from "../../events/decode.js";
import type { KubeClient } from "../../kube/client.js";
import type { PluginEnv } from "../../plugins/types.js";
import { checkEventPod, eventPod, failureOnThrow, runOnPod, runOnPodNode } from "./pod.js";

const podEvent = (pod: string) =>
  decodeEvent(JSON.stringify({ rule: "R", output_fields: { "k8s.pod.name": pod, "k8s.ns.name": "prod" } }));

/** A client serving one pod on node n1, counting its reads. */
function fakeCluster() {
  const reads = { pods: 0, nodes: 0 };
  const kube = {
    core: {
      async readNamespacedPod({ name, namespace }: { name: string; namespace: string }): Promise<V1Pod> {
        reads.pods++;
        return { metadata: { name, namespace }, spec: { nodeName: "n1", containers: [] } };
      },
      async readNode({ name }: { name: string }): Promise<V1Node> {
        reads.nodes++;
        return { metadata: { name } };
      },
    },
  } as unknown as KubeClient;
  const env = { kube: async () => kube, signal: new AbortController().signal } as unknown as PluginEnv;
  return { reads, env };
}

describe("pod actionner helpers", () => {
  it("checks and run share one GET of the pod through the attempt's memo", async () => {
    const { reads, env } = fakeCluster();
    const input = { event: podEvent("web-1"), env, memo: new Map<string, Promise<unknown>>() };
    await checkEventPod(input);
    const pod = await eventPod(input);
    assert.equal(pod.metadata?.name, "web-1");
    assert.equal(reads.pods, 1);
    await eventPod({ event: input.event, env });
    assert.equal(reads.pods, 2, "without a memo, each call reads");
  });

  it("runOnPod: an invalid name is the failure, and nothing runs", async () => {
    let ran = false;
    const r = await runOnPod({ event: podEvent("..") }, async () => {
      ran = true;
      return { status: "success", objects: {} };
    });
    assert.equal(ran, false);
    assert.deepEqual(r, {
      status: "failure",
      error: "invalid pod name '..' in k8s.pod.name: may not be '.' or '..'",
      objects: {},
    });
  });

  it("runOnPod: a thrown error is the failure, with the objects gathered so far", async () => {
    const r = await runOnPod({ event: podEvent("web-1") }, async (ref, objects) => {
      objects.container = "app";
      throw new Error(`boom in ${ref.name}`);
    });
    assert.deepEqual(r, {
      status: "failure",
      error: "boom in web-1",
      objects: { pod: "web-1", namespace: "prod", container: "app" },
    });
  });

  it("failureOnThrow: an API error gives the Kubernetes Status message", async () => {
    const r = await failureOnThrow({ node: "n1" }, async () => {
      throw new ApiException(403, "Forbidden", { message: 'nodes "n1" is forbidden' }, {});
    });
    assert.deepEqual(r, { status: "failure", error: 'nodes "n1" is forbidden', objects: { node: "n1" } });
  });

  it("runOnPodNode: results name the node once it is known", async () => {
    const { reads, env } = fakeCluster();
    const input = { event: podEvent("web-1"), env, memo: new Map<string, Promise<unknown>>() };
    const ok = await runOnPodNode(input, async (nodeName, objects) => ({
      status: "success",
      output: nodeName,
      objects: { ...objects },
    }));
    assert.deepEqual(ok, { status: "success", output: "n1", objects: { node: "n1" } });
    assert.deepEqual(reads, { pods: 1, nodes: 1 });
    const failed = await runOnPodNode(input, async () => {
      throw new Error("patch refused");
    });
    assert.deepEqual(failed, { status: "failure", error: "patch refused", objects: { node: "n1" } });
  });
});
