/**
 * The real Kubernetes API server started by scripts/test.sh (scripts/k8s/up.sh), and
 * helpers to put workloads on its kwok nodes. Without a cluster, tests fail loudly.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { V1Pod, V1PodSpec } from "@kubernetes/client-node";
import { pino } from "pino";
import type { z } from "zod";
import { configSchema } from "../../src/config/schema.js";
import type { FalcoEvent } from "../../src/events/event.js";
import { createKubeClient, type KubeClient } from "../../src/kube/client.js";
import type { Actionner, ActionResult, PluginEnv } from "../../src/plugins/types.js";

export const KUBECONFIG_ENV = "FALCO_TALON_TEST_KUBECONFIG";

export interface TestCluster {
  kubeconfigPath: string;
  kube: KubeClient;
  nodeNames: string[];
}

let cluster: Promise<TestCluster> | undefined;

/** The shared test cluster (memoised per test process). Rejects when none is running. */
export function getTestCluster(): Promise<TestCluster> {
  cluster ??= (async () => {
    const kubeconfigPath = process.env[KUBECONFIG_ENV] ?? "";
    if (kubeconfigPath === "" || !existsSync(kubeconfigPath)) {
      throw new Error(
        `no test Kubernetes cluster: ${KUBECONFIG_ENV} is ${kubeconfigPath === "" ? "unset" : `'${kubeconfigPath}' (missing)`}; run the tests through scripts/test.sh, which builds and starts one`,
      );
    }
    const kube = await createKubeClient(kubeconfigPath);
    const nodes = await kube.core.listNode({ labelSelector: "type=kwok" });
    const nodeNames = nodes.items.map((n) => n.metadata?.name ?? "").filter((n) => n !== "");
    if (nodeNames.length === 0) throw new Error("the test cluster has no kwok nodes");
    return { kubeconfigPath, kube, nodeNames };
  })();
  return cluster;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

let counter = 0;
/** A fresh namespace with a unique name, ready for pods (its default ServiceAccount exists). */
export async function createNamespace(kube: KubeClient, prefix = "t"): Promise<string> {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`.slice(0, 63);
  await kube.core.createNamespace({ body: { metadata: { name } } });
  await waitFor(`serviceaccount default in ${name}`, () =>
    kube.core.readNamespacedServiceAccount({ name: "default", namespace: name }),
  );
  return name;
}

/** Deletes a namespace without waiting (kube-controller-manager finishes it). */
export async function deleteNamespace(kube: KubeClient, name: string): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch(() => undefined);
}

function podSpec(nodeName?: string): V1PodSpec {
  return {
    ...(nodeName ? { nodeName } : {}),
    terminationGracePeriodSeconds: 30,
    containers: [{ name: "main", image: "registry.local/fake:1" }],
  };
}

export async function createPod(
  kube: KubeClient,
  namespace: string,
  name: string,
  nodeName?: string,
): Promise<V1Pod> {
  return kube.core.createNamespacedPod({
    namespace,
    body: { metadata: { name, labels: { app: name } }, spec: podSpec(nodeName) },
  });
}

export async function createDeployment(kube: KubeClient, namespace: string, name: string, replicas: number) {
  return kube.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: podSpec() },
      },
    },
  });
}

export async function createReplicaSet(kube: KubeClient, namespace: string, name: string, replicas: number) {
  return kube.apps.createNamespacedReplicaSet({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: podSpec() },
      },
    },
  });
}

export async function createDaemonSet(kube: KubeClient, namespace: string, name: string) {
  return kube.apps.createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: podSpec() },
      },
    },
  });
}

export async function createStatefulSet(kube: KubeClient, namespace: string, name: string, replicas: number) {
  return kube.apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        serviceName: name,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: podSpec() },
      },
    },
  });
}

function isRunningReady(p: V1Pod): boolean {
  return (
    p.status?.phase === "Running" &&
    !p.metadata?.deletionTimestamp &&
    (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** Waits until `count` pods matching `app=<app>` are Running and Ready; returns them sorted by name. */
export async function waitForRunningPods(
  kube: KubeClient,
  namespace: string,
  app: string,
  count: number,
  timeoutMs = 30_000,
): Promise<V1Pod[]> {
  return waitFor(
    `${count} running pods app=${app} in ${namespace}`,
    async () => {
      const list = await kube.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
      const running = list.items.filter(isRunningReady);
      if (running.length < count) return undefined;
      return running.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
    },
    timeoutMs,
  );
}

export async function waitForPodRunning(
  kube: KubeClient,
  namespace: string,
  name: string,
  timeoutMs = 30_000,
) {
  return waitFor(
    `pod ${namespace}/${name} running`,
    async () => {
      const p = await kube.core.readNamespacedPod({ name, namespace });
      return isRunningReady(p) ? p : undefined;
    },
    timeoutMs,
  );
}

/** Resolves once the pod is gone (404). */
export async function waitForPodGone(kube: KubeClient, namespace: string, name: string, timeoutMs = 30_000) {
  return waitFor(
    `pod ${namespace}/${name} deleted`,
    async () => {
      try {
        await kube.core.readNamespacedPod({ name, namespace });
        return undefined;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return true;
        throw err;
      }
    },
    timeoutMs,
  );
}

/** A plug-in environment bound to the test cluster. */
export function makePluginEnv(
  kube: KubeClient,
  opts: { dryRun?: "server"; signal?: AbortSignal } = {},
): PluginEnv {
  return {
    config: configSchema.parse({}),
    logger: pino({ level: "silent" }),
    kube: async () => kube,
    ...(opts.dryRun ? { dryRun: opts.dryRun } : {}),
    signal: opts.signal ?? new AbortController().signal,
  };
}

/** A Falco event carrying the given output fields. */
export function makeEvent(fields: Record<string, unknown>, source = "syscall"): FalcoEvent {
  return {
    id: randomUUID(),
    output: "test event",
    priority: "Warning",
    rule: "Test rule",
    hostname: "test",
    time: new Date().toISOString(),
    source,
    output_fields: fields,
    tags: [],
    context: {},
    trace_id: randomUUID(),
  };
}

/** Validates raw parameters with the actionner's schema, then runs checks and run (one attempt). */
export async function runActionner<S extends z.ZodType>(
  actionner: Actionner<S>,
  env: PluginEnv,
  event: FalcoEvent,
  rawParameters: unknown = {},
): Promise<ActionResult> {
  const parameters = actionner.parameters.parse(rawParameters) as z.output<S>;
  const input = {
    event,
    parameters,
    vars: new Map<string, string>(),
    rule: "Test rule",
    action: "test",
    env,
    // As the pipeline does: checks and run share one attempt's lookups.
    memo: new Map<string, Promise<unknown>>(),
  };
  await actionner.checks(input);
  return actionner.run(input);
}

/** One request as the API server's audit log recorded it (Metadata level). */
export interface AuditEntry {
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user?: { username?: string };
  userAgent?: string;
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
  };
}

/** A client whose requests the test API server audits, under a user of its own. */
export interface AuditedClient {
  /** The user every request of `kube` is made as (a client certificate in system:masters). */
  user: string;
  kube: KubeClient;
  /**
   * Runs `fn` and returns the requests this client made meanwhile, in arrival order (marker
   * requests before and after bound the window; `fn` must await its own requests).
   */
  record<T>(fn: () => Promise<T>): Promise<{ value: T; requests: AuditEntry[] }>;
  dispose(): Promise<void>;
}

/** The audit log and the cluster CA that signs audited users, next to the test kubeconfig (scripts/k8s/up.sh). */
export function auditFiles(c: TestCluster): { log: string; policy: string; caCert: string; caKey: string } {
  const dir = dirname(c.kubeconfigPath);
  return {
    log: join(dir, "audit.log"),
    policy: join(dir, "audit-policy.yaml"),
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
  };
}

/**
 * A client of the test cluster whose requests are audited, as a fresh user named after `label`
 * (so concurrent test files never see each other's requests): a client certificate signed by
 * the cluster CA with O=system:masters and O=talon-audited, the group up.sh's policy audits.
 */
export async function auditedClient(c: TestCluster, label: string): Promise<AuditedClient> {
  const files = auditFiles(c);
  if (!existsSync(files.policy) || !existsSync(files.caKey)) {
    throw new Error(
      `the test cluster has no audit log policy (${files.policy}): it was started by an older scripts/k8s/up.sh; restart it`,
    );
  }
  const user = `talon-test-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
  const dir = await mkdtemp(join(tmpdir(), "talon-audited-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "user.key",
    "-out",
    "user.csr",
    "-subj",
    `/O=system:masters/O=talon-audited/CN=${user}`,
  );
  await writeFile(join(dir, "user.ext"), "extendedKeyUsage=clientAuth\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "user.csr",
    "-CA",
    files.caCert,
    "-CAkey",
    files.caKey,
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-days",
    "1",
    "-extfile",
    "user.ext",
    "-out",
    "user.crt",
  );
  const server = c.kube.config.getCurrentCluster()?.server ?? "";
  const path = join(dir, "kubeconfig");
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "t", cluster: { server, "certificate-authority": files.caCert } }],
      users: [
        {
          name: user,
          user: { "client-certificate": join(dir, "user.crt"), "client-key": join(dir, "user.key") },
        },
      ],
      contexts: [{ name: "t", context: { cluster: "t", user } }],
      "current-context": "t",
    }),
    { mode: 0o600 },
  );
  const kube = await createKubeClient(path);

  const mark = async (): Promise<string> => {
    const name = `audit-mark-${randomBytes(8).toString("hex")}`;
    await kube.core.readNamespace({ name }).catch(() => undefined);
    return name;
  };
  const isMark = (e: AuditEntry, name: string) =>
    e.objectRef?.resource === "namespaces" && e.objectRef.name === name && e.verb === "get";

  return {
    user,
    kube,
    async record(fn) {
      const offset = existsSync(files.log) ? (await stat(files.log)).size : 0;
      const start = await mark();
      const value = await fn();
      const end = await mark();
      // Blocking mode writes an entry before the request is served: the end marker's entry is
      // in the file once its response is back (polling only covers a slow file system).
      const mine = await waitFor(
        `the audit entry of ${end}`,
        async () => {
          const entries = (await readAuditEntries(files.log, offset)).filter(
            (e) => e.user?.username === user,
          );
          const i = entries.findIndex((e) => isMark(e, start));
          const j = entries.findIndex((e) => isMark(e, end));
          return i >= 0 && j > i ? entries.slice(i + 1, j) : undefined;
        },
        10_000,
        50,
      );
      return { value, requests: mine };
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The complete audit lines of `path` from byte `offset` on. */
async function readAuditEntries(path: string, offset: number): Promise<AuditEntry[]> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    await fh.read(buf, 0, buf.length, offset);
    const text = buf.toString("utf8");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    const out: AuditEntry[] = [];
    for (const line of complete.split("\n")) {
      if (line.trim() === "") continue;
      try {
        out.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A line cut by the offset (another writer's half line): not ours.
      }
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** `verb resource[/subresource] namespace/name` of an audited request, for assertion messages. */
export function auditText(e: AuditEntry): string {
  const r = e.objectRef ?? {};
  return `${e.verb} ${r.resource ?? "?"}${r.subresource ? `/${r.subresource}` : ""} ${r.namespace ?? ""}/${r.name ?? ""} (${e.requestURI})`;
}
