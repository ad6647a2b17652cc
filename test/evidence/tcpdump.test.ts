/**
 * kubernetes:tcpdump against the real API server. kwok runs no ephemeral containers, so the test
 * writes their status through pods/status, and kwok's local exec runs a stand-in `tcpdump`.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import tcpdump from "../../src/actionners/kubernetes/tcpdump/index.js";
import {
  createNamespace,
  createPod,
  deleteNamespace,
  getTestCluster,
  makePluginEnv,
  type TestCluster,
  waitForPodRunning,
} from "../support/k8s.js";
import {
  createTwoContainerPod,
  driveEphemeralContainer,
  makeStandIns,
  podEvent,
  runWithVars,
} from "./support.js";

/** A pcap global header (LINKTYPE_LINUX_SLL) followed by every byte value. */
function fakePcap(): Buffer {
  const header = Buffer.from("d4c3b2a1020004000000000000000000ffff000071000000", "hex");
  return Buffer.concat([
    header,
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    Buffer.from("\r\n\0"),
  ]);
}

describe("kubernetes:tcpdump", () => {
  let c: TestCluster;
  let ns: string;
  let standIns: { dir: string; shell: string };
  const pcap = fakePcap();
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "tcpdump");
    await createPod(c.kube, ns, "target", c.nodeNames[0]);
    await createTwoContainerPod(c.kube, ns, "duo", c.nodeNames[0] as string);
    await waitForPodRunning(c.kube, ns, "target");
    await createPod(c.kube, ns, "solo", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "duo");
    await waitForPodRunning(c.kube, ns, "solo");
    standIns = makeStandIns({
      // Records its argv and the temp folder, writes the capture to -w, then runs until killed.
      tcpdump: `printf '%s\\n' "$@" > "$(dirname "$0")/../args"
out=""
while [ $# -gt 0 ]; do [ "$1" = "-w" ] && out=$2; shift; done
cat "$(dirname "$0")/../capture.pcap" > "$out"
echo "tcpdump: listening on any, link-type LINUX_SLL" >&2
exec sleep 30
`,
    });
    writeFileSync(join(standIns.dir, "capture.pcap"), pcap);
  });
  after(async () => {
    if (c && ns) await deleteNamespace(c.kube, ns);
    if (standIns) rmSync(standIns.dir, { recursive: true, force: true });
  });

  it("adds an ephemeral container, waits for it, and fetches the pcap byte-identical", async () => {
    const env = makePluginEnv(c.kube);
    const started = Date.now();
    const run = runWithVars(tcpdump, env, podEvent("duo", ns), {
      duration: 1,
      snaplen: 128,
      container: "second",
      image: "registry.local/tcpdump:1",
      shell: standIns.shell,
    });
    const added = await driveEphemeralContainer(c.kube, ns, "duo", "falco-talon-tcpdump-", {
      running: { startedAt: new Date() },
    });
    const r = await run;
    assert.equal(r.status, "success", r.error);
    assert.equal(
      r.output,
      `a tcpdump capture of 1s has been taken in the pod 'duo' in the namespace '${ns}'`,
    );
    assert.equal(r.data?.name, "tcpdump.pcap");
    assert.deepEqual(r.data?.objects, { pod: "duo", namespace: ns });
    assert.ok(r.data && Buffer.compare(r.data.bytes, pcap) === 0, "pcap byte-identical");
    assert.equal(r.objects["container"], added.name);
    assert.match(added.name, /^falco-talon-tcpdump-[0-9a-f]{5}$/);
    // `timeout 1` ended the stand-in (which sleeps 30 s) and 124 counted as success.
    assert.ok(Date.now() - started < 15_000, "the capture was bounded by the duration");

    // The debug container as created: targets the chosen container, least privilege, bounded sleep.
    assert.equal(added.image, "registry.local/tcpdump:1");
    assert.equal(added.targetContainerName, "second");
    assert.deepEqual(added.command, ["sleep", "61"]);
    assert.equal(added.securityContext?.privileged, undefined);
    assert.equal(added.securityContext?.runAsUser, 0);
    assert.deepEqual(added.securityContext?.capabilities?.add, ["NET_RAW", "NET_ADMIN"]);

    const args = readFileSync(join(standIns.dir, "args"), "utf8").trim().split("\n");
    assert.deepEqual(args.slice(0, 7), ["-n", "-i", "any", "-s", "128", "-U", "-w"]);
    // The temp capture file was removed.
    assert.equal(existsSync(args[7] as string), false, `${args[7]} removed`);
  });

  it("fails clearly when the debug image can't be pulled", async () => {
    const env = makePluginEnv(c.kube);
    const run = runWithVars(tcpdump, env, podEvent("target", ns), { shell: standIns.shell });
    const added = await driveEphemeralContainer(c.kube, ns, "target", "falco-talon-tcpdump-", {
      waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" },
    });
    const r = await run;
    assert.equal(r.status, "failure");
    assert.equal(
      r.error,
      `the container '${added.name}' can't start: ImagePullBackOff: Back-off pulling image`,
    );
    assert.equal(added.targetContainerName, "main");
  });

  it("fails when the container never starts within start_timeout", async () => {
    const env = makePluginEnv(c.kube);
    const r = await runWithVars(tcpdump, env, podEvent("target", ns), {
      shell: standIns.shell,
      start_timeout: 1,
    });
    assert.equal(r.status, "failure");
    assert.match(
      r.error ?? "",
      /^the container 'falco-talon-tcpdump-[0-9a-f]{5}' is not running after 1s \(not started\)$/,
    );
  });

  it("reports tcpdump's failure with its exit code and stderr", async () => {
    const failing = makeStandIns({
      tcpdump: 'echo "tcpdump: any: You don\'t have permission" >&2\nexit 1\n',
    });
    try {
      const env = makePluginEnv(c.kube);
      // A pod of its own: the start_timeout test leaves a never-started container in "target".
      const run = runWithVars(tcpdump, env, podEvent("solo", ns), { shell: failing.shell, duration: 1 });
      await driveEphemeralContainer(c.kube, ns, "solo", "falco-talon-tcpdump-", {
        running: { startedAt: new Date() },
      });
      const r = await run;
      assert.equal(r.status, "failure");
      assert.equal(
        r.error,
        "the capture failed: the command exited with code 1: tcpdump: any: You don't have permission",
      );
      assert.equal(r.data, undefined);
      assert.deepEqual(readdirSync(failing.dir).sort(), ["bin", "sh"]);
    } finally {
      rmSync(failing.dir, { recursive: true, force: true });
    }
  });

  it("server dry run sends the patch with dryRun=All and adds nothing", async () => {
    const env = makePluginEnv(c.kube, { dryRun: "server" });
    const r = await runWithVars(tcpdump, env, podEvent("target", ns), {});
    assert.equal(r.status, "ignored", r.error);
    const pod = await c.kube.core.readNamespacedPod({ name: "target", namespace: ns });
    assert.ok(!(pod.spec?.ephemeralContainers ?? []).some((e) => e.name === r.objects["container"]));
  });
});
