/** Proves the test cluster: scheduling, kwok pod lifecycle, exec and logs through the API server. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { Exec } from "@kubernetes/client-node";
import {
  createDeployment,
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  type TestCluster,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

describe("test Kubernetes cluster", () => {
  let c: TestCluster;
  let ns: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "cluster");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });

  it("reports kwok nodes and a real API server version", async () => {
    assert.ok(c.nodeNames.length >= 1);
    const node = await c.kube.core.readNode({ name: c.nodeNames[0] as string });
    assert.ok((node.status?.conditions ?? []).some((x) => x.type === "Ready" && x.status === "True"));
  });

  it("runs a pod on a kwok node", async () => {
    const node = c.nodeNames[0] as string;
    await createPod(c.kube, ns, "standalone", node);
    const pod = await waitForPodRunning(c.kube, ns, "standalone");
    assert.equal(pod.spec?.nodeName, node);
    assert.equal(pod.status?.phase, "Running");
  });

  it("execs a command through the API server (kwok runs it locally)", async () => {
    await waitForPodRunning(c.kube, ns, "standalone");
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const status = await new Promise<unknown>((resolve, reject) => {
      new Exec(c.kube.config)
        .exec(
          ns,
          "standalone",
          "main",
          ["sh", "-c", "echo hello-from-exec; echo $((6*7))"],
          stdout,
          stderr,
          null,
          false,
          resolve,
        )
        .catch(reject);
    });
    assert.equal((status as { status?: string }).status, "Success");
    assert.match(out, /hello-from-exec\n42\n/);
  });

  it("serves pod logs", async () => {
    await waitForPodRunning(c.kube, ns, "standalone");
    const logs = await c.kube.core.readNamespacedPodLog({
      name: "standalone",
      namespace: ns,
      container: "main",
    });
    assert.match(String(logs), /line one from the fake container/);
  });

  it("has kube-controller-manager and the scheduler create a Deployment's pods", async () => {
    await createDeployment(c.kube, ns, "web", 3);
    const pods = await waitForRunningPods(c.kube, ns, "web", 3);
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, "ReplicaSet");
      assert.ok(
        c.nodeNames.includes(p.spec?.nodeName ?? ""),
        `scheduled on a kwok node: ${p.spec?.nodeName}`,
      );
    }
  });
});
