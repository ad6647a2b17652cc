/** kubernetes:terminate against the real API server. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import terminate from "../../src/actionners/kubernetes/terminate/index.js";
import {
  createDaemonSet,
  createDeployment,
  createNamespace,
  createPod,
  createStatefulSet,
  deleteNamespace,
  getTestCluster,
  makeEvent,
  makePluginEnv,
  runActionner,
  type TestCluster,
  waitForPodGone,
  waitForPodRunning,
  waitForRunningPods,
} from "../support/k8s.js";

const podEvent = (pod: string, ns: string) => makeEvent({ "k8s.pod.name": pod, "k8s.ns.name": ns });

describe("kubernetes:terminate", () => {
  let c: TestCluster;
  let ns: string;
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "terminate");
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
  });

  it("reads the pod once per attempt: checks' GET is reused by run", async () => {
    await createPod(c.kube, ns, "read-once");
    let reads = 0;
    const core = new Proxy(c.kube.core, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== "readNamespacedPod" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          reads++;
          return value.apply(target, args);
        };
      },
    });
    const result = await runActionner(
      terminate,
      makePluginEnv({ ...c.kube, core }),
      podEvent("read-once", ns),
    );
    assert.equal(result.status, "success", result.error);
    assert.equal(reads, 1);
    await waitForPodGone(c.kube, ns, "read-once");
  });

  it("fails checks for a missing pod with Talon's message", async () => {
    await assert.rejects(
      runActionner(terminate, makePluginEnv(c.kube), podEvent("nope", ns)),
      new Error(`the pod 'nope' in the namespace '${ns}' doesn't exist`),
    );
    await assert.rejects(
      runActionner(terminate, makePluginEnv(c.kube), makeEvent({ "k8s.ns.name": ns })),
      /missing pod name/,
    );
  });

  it("terminates a Deployment pod with the grace period", async () => {
    await createDeployment(c.kube, ns, "web", 2);
    const [pod] = await waitForRunningPods(c.kube, ns, "web", 2);
    const name = pod?.metadata?.name as string;
    const r = await runActionner(terminate, makePluginEnv(c.kube), podEvent(name, ns), {
      grace_period_seconds: 3,
    });
    assert.deepEqual(r, {
      status: "success",
      output: `the pod '${name}' in the namespace '${ns}' has been terminated`,
      objects: { pod: name, namespace: ns },
    });
    await waitForPodGone(c.kube, ns, name);
  });

  it("does nothing under server dry run", async () => {
    await createPod(c.kube, ns, "dry", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "dry");
    const r = await runActionner(terminate, makePluginEnv(c.kube, { dryRun: "server" }), podEvent("dry", ns));
    assert.equal(r.status, "success");
    await new Promise((res) => setTimeout(res, 1500));
    const still = await c.kube.core.readNamespacedPod({ name: "dry", namespace: ns });
    assert.equal(still.metadata?.deletionTimestamp, undefined);
  });

  it("ignores standalone pods, daemonsets and statefulsets when asked", async () => {
    await createPod(c.kube, ns, "alone", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "alone");
    let r = await runActionner(terminate, makePluginEnv(c.kube), podEvent("alone", ns), {
      ignore_standalone_pods: true,
    });
    assert.equal(r.status, "ignored");
    assert.match(r.output ?? "", /standalone pod/);

    await createDaemonSet(c.kube, ns, "agent");
    const [ds] = await waitForRunningPods(c.kube, ns, "agent", c.nodeNames.length);
    const dsPod = ds?.metadata?.name as string;
    r = await runActionner(terminate, makePluginEnv(c.kube), podEvent(dsPod, ns), {
      ignore_daemonsets: true,
    });
    assert.equal(r.status, "ignored");
    assert.match(r.output ?? "", /daemonset 'agent'/);

    await createStatefulSet(c.kube, ns, "db", 1);
    await waitForRunningPods(c.kube, ns, "db", 1);
    r = await runActionner(terminate, makePluginEnv(c.kube), podEvent("db-0", ns), {
      ignore_statefulsets: "true",
    });
    assert.equal(r.status, "ignored");
    assert.match(r.output ?? "", /statefulset 'db'/);

    // Without the flag the standalone pod goes.
    r = await runActionner(terminate, makePluginEnv(c.kube), podEvent("alone", ns));
    assert.equal(r.status, "success");
    await waitForPodGone(c.kube, ns, "alone");
  });

  it("honours min_healthy_replicas as a count and as a percentage of desired, after removing the pod", async () => {
    await createDeployment(c.kube, ns, "api", 3);
    const pods = await waitForRunningPods(c.kube, ns, "api", 3);
    await waitForDeploymentReady(c, ns, "api", 3);
    const name = pods[0]?.metadata?.name as string;
    const env = makePluginEnv(c.kube);
    // 3 ready, 2 after: below a count of 3, and 66% < 67%.
    let r = await runActionner(terminate, env, podEvent(name, ns), { min_healthy_replicas: 3 });
    assert.equal(r.status, "ignored");
    assert.match(r.output ?? "", /deployment 'api' would have 2 healthy replicas, fewer than 3/);
    r = await runActionner(terminate, env, podEvent(name, ns), { min_healthy_replicas: "67%" });
    assert.equal(r.status, "ignored");
    assert.match(r.output ?? "", /66% healthy replicas \(2\/3\), less than 67%/);
    // 66% >= 66%: allowed (Talon would compare 3 < 66 and skip).
    r = await runActionner(terminate, env, podEvent(name, ns), { min_healthy_replicas: "66%" });
    assert.equal(r.status, "success");
    await waitForPodGone(c.kube, ns, name);
  });
});

async function waitForDeploymentReady(c: TestCluster, ns: string, name: string, ready: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = await c.kube.apps.readNamespacedDeployment({ name, namespace: ns });
    if ((d.status?.readyReplicas ?? 0) >= ready) return;
    if (Date.now() > deadline) throw new Error(`deployment ${name} not ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
