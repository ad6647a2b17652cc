/**
 * Long captures never block other events: a 20 s tcpdump on one pod runs while another
 * pod is terminated, through the real server process and the real API server, and the
 * terminate finishes first (Talon handled events one at a time).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { driveEphemeralContainer, makeStandIns } from "../evidence/support.js";
import {
  createNamespace,
  createPod,
  getTestCluster,
  type TestCluster,
  waitForPodGone,
  waitForPodRunning,
} from "../support/k8s.js";
import { type ServerProcess, startServerProcess } from "../support/server.js";

describe("per-target concurrency (end to end)", () => {
  let cluster: TestCluster;
  let server: ServerProcess;
  let ns: string;
  let artifacts: string;
  let standIns: { dir: string; shell: string };

  before(async () => {
    cluster = await getTestCluster();
    ns = await createNamespace(cluster.kube, "conc");
    await createPod(cluster.kube, ns, "capture-me", cluster.nodeNames[0]);
    await createPod(cluster.kube, ns, "kill-me", cluster.nodeNames[0]);
    await waitForPodRunning(cluster.kube, ns, "capture-me");
    await waitForPodRunning(cluster.kube, ns, "kill-me");
    artifacts = mkdtempSync(join(tmpdir(), "falco-talon-pcap-"));
    // A stand-in tcpdump (kwok runs exec locally): writes a pcap header and captures until `timeout` stops it.
    standIns = makeStandIns({
      tcpdump: `out=""
while [ $# -gt 0 ]; do [ "$1" = "-w" ] && out=$2; shift; done
printf '\\324\\303\\262\\241\\002\\000\\004\\000' > "$out"
exec sleep 60
`,
    });
    server = await startServerProcess({
      config: `
rules_files: [$DIR/rules.yaml]
kubeconfig: ${cluster.kubeconfigPath}
`,
      rules: {
        "rules.yaml": `
- rule: Capture
  match:
    rules: [Suspicious network activity]
  actions:
    - action: Capture packets
      actionner: kubernetes:tcpdump
      parameters:
        duration: 20
        shell: ${standIns.shell}
      output:
        target: local:file
        parameters:
          destination: ${artifacts}
- rule: Kill
  match:
    rules: [Terminal shell in container]
  actions:
    - action: Terminate
      actionner: kubernetes:terminate
`,
      },
    });
  });

  after(async () => {
    await server?.stop();
    if (standIns) rmSync(standIns.dir, { recursive: true, force: true });
  });

  it("terminates a pod while a 20 s capture runs on another one", async () => {
    const post = (rule: string, pod: string) =>
      server.post(
        JSON.stringify({
          rule,
          priority: "Warning",
          output: `${rule} on ${pod}`,
          output_fields: { "k8s.ns.name": ns, "k8s.pod.name": pod },
        }),
      );
    const started = Date.now();
    assert.equal((await post("Suspicious network activity", "capture-me")).status, 200);
    await driveEphemeralContainer(cluster.kube, ns, "capture-me", "falco-talon-tcpdump-", {
      running: { startedAt: new Date() },
    });
    assert.equal((await post("Terminal shell in container", "kill-me")).status, 200);

    await waitForPodGone(cluster.kube, ns, "kill-me", 15_000);
    const terminated = Date.now();
    assert.ok(
      terminated - started < 15_000,
      `terminate finished after ${terminated - started} ms, during the capture`,
    );

    const capture = await server.waitForLog(
      (l) => l.message === "output" && l.rule === "Capture" && l.status !== "in_progress",
      60_000,
    );
    assert.equal(capture.status, "success", JSON.stringify(capture));
    assert.ok(Date.now() - started >= 20_000, "the capture lasted its 20 s");
    const files = readdirSync(artifacts);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /_capture-me_tcpdump\.pcap$/);

    const order = server.logs
      .filter((l) => l.message === "action" && (l.status === "success" || l.status === "failure"))
      .map((l) => l.rule);
    assert.deepEqual(order, ["Kill", "Capture"], "the terminate finished first");
  });
});
