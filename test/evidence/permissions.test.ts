/**
 * `info.permissions.kubernetes` is exactly enough: each actionner runs against the real API
 * server as a ServiceAccount bound to a ClusterRole built from its own declared rules only.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import download from "../../src/actionners/kubernetes/download/index.js";
import exec from "../../src/actionners/kubernetes/exec/index.js";
import log from "../../src/actionners/kubernetes/log/index.js";
import script from "../../src/actionners/kubernetes/script/index.js";
import sysdig from "../../src/actionners/kubernetes/sysdig/index.js";
import tcpdump from "../../src/actionners/kubernetes/tcpdump/index.js";
import type { KubeClient } from "../../src/kube/client.js";
import type { Actionner } from "../../src/plugins/types.js";
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
  driveEphemeralContainer,
  keepJobPodsRunning,
  makeStandIns,
  podEvent,
  removeKeepRunningPolicy,
  runWithVars,
} from "./support.js";

function clientFor(kc: k8s.KubeConfig): KubeClient {
  return {
    config: kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    policy: kc.makeApiClient(k8s.PolicyV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
  };
}

describe("declared Kubernetes permissions suffice", () => {
  let c: TestCluster;
  let ns: string;
  let talonNs: string;
  let standIns: { dir: string; shell: string };
  const cleanup: Array<() => Promise<unknown>> = [];
  before(async () => {
    c = await getTestCluster();
    ns = await createNamespace(c.kube, "perm-target");
    talonNs = await createNamespace(c.kube, "perm-talon");
    await createPod(c.kube, ns, "target", c.nodeNames[0]);
    await waitForPodRunning(c.kube, ns, "target");
    await keepJobPodsRunning(c, talonNs);
    standIns = makeStandIns({
      tcpdump: 'while [ $# -gt 0 ]; do [ "$1" = "-w" ] && printf pcap > "$2"; shift; done\n',
      sysdig: 'while [ $# -gt 0 ]; do [ "$1" = "-w" ] && printf scap > "$2"; shift; done\n',
    });
    writeFileSync(join(standIns.dir, "file.txt"), "downloaded\n");
  });
  after(async () => {
    for (const f of cleanup) await f().catch(() => undefined);
    if (c && ns) await deleteNamespace(c.kube, ns);
    if (c && talonNs) {
      await deleteNamespace(c.kube, talonNs);
      await removeKeepRunningPolicy(c, talonNs);
    }
    if (standIns) rmSync(standIns.dir, { recursive: true, force: true });
  });

  /** A client authenticated as a fresh ServiceAccount holding only `a`'s declared rules. */
  async function clientWithOnly(a: Actionner): Promise<KubeClient> {
    const name = `talon-${a.info.name}-${Date.now().toString(36)}`;
    await c.kube.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
    const rules = a.info.permissions.kubernetes ?? [];
    assert.ok(rules.length > 0, `${a.info.name} declares Kubernetes permissions`);
    await c.kube.rbac.createClusterRole({ body: { metadata: { name }, rules } });
    await c.kube.rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
      },
    });
    cleanup.push(
      () => c.kube.rbac.deleteClusterRoleBinding({ name }),
      () => c.kube.rbac.deleteClusterRole({ name }),
    );
    const token = await c.kube.core.createNamespacedServiceAccountToken({
      name,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = c.kube.config.getCurrentCluster();
    assert.ok(cluster);
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "test", server: cluster.server, caFile: cluster.caFile, skipTLSVerify: false }],
      users: [{ name, token: token.status?.token }],
      contexts: [{ name: "test", cluster: "test", user: name }],
      currentContext: "test",
    });
    const limited = clientFor(kc);
    // Sanity: the account really is limited (no secrets access).
    await assert.rejects(
      limited.core.listNamespacedSecret({ namespace: ns }),
      (e: { code?: number }) => e.code === 403,
    );
    return limited;
  }

  it("kubernetes:exec", async () => {
    const env = makePluginEnv(await clientWithOnly(exec as Actionner));
    const r = await runWithVars(exec, env, podEvent("target", ns), { command: "echo ok" });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.output, "ok\n");
  });

  it("kubernetes:script", async () => {
    const env = makePluginEnv(await clientWithOnly(script as Actionner));
    const r = await runWithVars(script, env, podEvent("target", ns), { script: "echo ok\n" });
    assert.equal(r.status, "success", r.error);
  });

  it("kubernetes:log", async () => {
    const env = makePluginEnv(await clientWithOnly(log as Actionner));
    const r = await runWithVars(log, env, podEvent("target", ns), {});
    assert.equal(r.status, "success", r.error);
  });

  it("kubernetes:download", async () => {
    const env = makePluginEnv(await clientWithOnly(download as Actionner));
    const r = await runWithVars(download, env, podEvent("target", ns), {
      file: join(standIns.dir, "file.txt"),
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.data?.bytes.toString(), "downloaded\n");
  });

  it("kubernetes:tcpdump", async () => {
    const env = makePluginEnv(await clientWithOnly(tcpdump as Actionner));
    const run = runWithVars(tcpdump, env, podEvent("target", ns), { duration: 1, shell: standIns.shell });
    await driveEphemeralContainer(c.kube, ns, "target", "falco-talon-tcpdump-", {
      running: { startedAt: new Date() },
    });
    const r = await run;
    assert.equal(r.status, "success", r.error);
    assert.equal(r.data?.bytes.toString(), "pcap");
  });

  it("kubernetes:sysdig", async () => {
    const env = makePluginEnv(await clientWithOnly(sysdig as Actionner));
    const r = await runWithVars(sysdig, env, podEvent("target", ns), {
      duration: 1,
      namespace: talonNs,
      shell: standIns.shell,
    });
    assert.equal(r.status, "success", r.error);
    assert.equal(r.data?.bytes.toString(), "scap");
    const left = await c.kube.batch.listNamespacedJob({ namespace: talonNs });
    assert.deepEqual(left.items, [], "the job was deleted with the declared permissions");
  });
});
