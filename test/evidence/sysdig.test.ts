/**
 * kubernetes:sysdig against the real API server: the Job is created in the dedicated namespace
 * with the expected spec, kwok runs its pod, exec runs a stand-in `sysdig`, and the Job is removed.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import type { V1Job } from "@kubernetes/client-node";
import sysdig from "../../src/actionners/kubernetes/sysdig/index.js";
import type { ActionResult } from "../../src/plugins/types.js";
import {
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makePluginEnv,
  type TestCluster,
  waitFor,
  waitForPodRunning,
} from "../support/k8s.js";
import {
  keepJobPodsRunning,
  makeStandIns,
  podEvent,
  removeKeepRunningPolicy,
  runWithVars,
} from "./support.js";

describe("kubernetes:sysdig", () => {
  let c: TestCluster;
  let ns: string;
  let talonNs: string;
  let standIns: { dir: string; shell: string };
  const capture = gzipSync(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff)));
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "sysdig-target");
    talonNs = await createNamespace(c.kube, "sysdig-talon");
    await createPod(c.kube, ns, "target", c.nodeNames[1] ?? c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "target");
    standIns = makeStandIns({
      sysdig: `printf '%s\\n' "$@" > "$(dirname "$0")/../args"
out=""
while [ $# -gt 0 ]; do [ "$1" = "-w" ] && out=$2; shift; done
cat "$(dirname "$0")/../capture.scap.gz" > "$out"
`,
    });
    writeFileSync(join(standIns.dir, "capture.scap.gz"), capture);
    await keepJobPodsRunning(c, talonNs);
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
    if (c && talonNs) await deleteNamespace(c.kube, talonNs);
    if (c && talonNs) await removeKeepRunningPolicy(c, talonNs);
    if (standIns) rmSync(standIns.dir, { recursive: true, force: true });
  });

  /** Runs the action while recording every Job seen in the dedicated namespace. */
  async function runWatchingJobs(raw: Record<string, unknown>): Promise<{ r: ActionResult; jobs: V1Job[] }> {
    const seen = new Map<string, V1Job>();
    let done = false;
    const poller = (async () => {
      while (!done) {
        const list = await c.kube.batch.listNamespacedJob({ namespace: talonNs });
        for (const j of list.items) seen.set(j.metadata?.name ?? "", j);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const r = await runWithVars(sysdig, makePluginEnv(c.kube), podEvent("target", ns), {
        namespace: talonNs,
        ...raw,
      });
      return { r, jobs: [...seen.values()] };
    } finally {
      done = true;
      await poller;
    }
  }

  it("checks: refuses the target's namespace and a missing dedicated namespace", async () => {
    const env = makePluginEnv(c.kube);
    await assert.rejects(
      runWithVars(sysdig, env, podEvent("target", ns), { namespace: ns }),
      /can't run in the target's namespace/,
    );
    await assert.rejects(
      runWithVars(sysdig, env, podEvent("target", ns), {}),
      /the namespace 'falco-talon' for the sysdig job doesn't exist/,
    );
  });

  it("creates the Job on the pod's node, captures, returns the scap byte-identical, and removes the Job", async () => {
    const { r, jobs } = await runWatchingJobs({
      duration: 3,
      buffer_size: 512,
      image: "registry.local/sysdig:1",
      shell: standIns.shell,
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.data?.name, "sysdig.scap.gz");
    assert.deepEqual(r.data?.objects, { pod: "target", namespace: ns });
    assert.ok(r.data && Buffer.compare(r.data.bytes, capture) === 0, "capture byte-identical");
    assert.match(r.objects["job"] ?? "", /^falco-talon-sysdig-[0-9a-f]{5}$/);

    assert.equal(jobs.length, 1, "one Job was created");
    const job = jobs[0] as V1Job;
    assert.equal(job.metadata?.name, r.objects["job"]);
    assert.equal(job.metadata?.namespace, talonNs);
    assert.equal(job.metadata?.labels?.["app.kubernetes.io/managed-by"], "falco-talon");
    assert.equal(job.metadata?.annotations?.["falco-talon/target"], `${ns}/target`);
    assert.equal(job.spec?.ttlSecondsAfterFinished, 600);
    assert.equal(job.spec?.backoffLimit, 0);
    assert.equal(job.spec?.activeDeadlineSeconds, 3 + 60 + 60);
    const spec = job.spec?.template.spec;
    const target = await c.kube.core.readNamespacedPod({ name: "target", namespace: ns });
    assert.equal(spec?.nodeName, target.spec?.nodeName);
    assert.equal(spec?.restartPolicy, "Never");
    const container = spec?.containers[0];
    assert.equal(container?.image, "registry.local/sysdig:1");
    assert.equal(container?.securityContext?.privileged, true);
    assert.deepEqual(JSON.parse(JSON.stringify(container?.volumeMounts)), [
      { name: "host", mountPath: "/host", readOnly: true },
    ]);
    assert.equal(spec?.volumes?.[0]?.hostPath?.path, "/");

    const args = readFileSync(join(standIns.dir, "args"), "utf8").trim().split("\n");
    assert.deepEqual(args.slice(0, 9), [
      "--modern-bpf",
      "--cri",
      "/host/run/containerd/containerd.sock",
      "-M",
      "3",
      "-s",
      "512",
      "-z",
      "-w",
    ]);
    // Scope pod: a filter on the target pod (kwok sets no container ids, so its k8s metadata).
    assert.equal(args[10], `k8s.ns.name=${ns} and k8s.pod.name=target`);

    // Removed right after the capture, not left to the TTL; its pod goes with it.
    const left = await c.kube.batch.listNamespacedJob({ namespace: talonNs });
    assert.deepEqual(
      left.items.map((j) => j.metadata?.name),
      [],
    );
    await waitFor("the job's pods to be gone", async () => {
      const pods = await c.kube.core.listNamespacedPod({ namespace: talonNs });
      return pods.items.length === 0;
    });
  });

  it("scope node: no filter; a failing capture still removes the Job", async () => {
    const failing = makeStandIns({
      sysdig:
        'printf \'%s\\n\' "$@" > "$(dirname "$0")/../args"\necho "sysdig: bpf probe failed" >&2\nexit 2\n',
    });
    try {
      const { r, jobs } = await runWatchingJobs({ scope: "node", duration: 1, shell: failing.shell });
      assert.equal(r.status, "failure");
      assert.equal(r.error, "the capture failed: the command exited with code 2: sysdig: bpf probe failed");
      assert.equal(jobs.length, 1);
      const args = readFileSync(join(failing.dir, "args"), "utf8").trim().split("\n");
      assert.equal(args.length, 10, `no filter argument: ${args.join(" ")}`);
      const left = await c.kube.batch.listNamespacedJob({ namespace: talonNs });
      assert.deepEqual(left.items, []);
    } finally {
      rmSync(failing.dir, { recursive: true, force: true });
    }
  });
});
