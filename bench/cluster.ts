/**
 * The real Kubernetes API server for the benchmarks: built and started by scripts/k8s (as
 * scripts/test.sh does), with kwok playing the kubelets. kwok runs pods/exec as local
 * processes, so a stand-in `tcpdump` first on kwok's PATH makes both servers' captures run
 * for their full duration, with their command lines unchanged.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type V1ContainerStatus, type V1Pod, Watch } from "@kubernetes/client-node";
import { createKubeClient, type KubeClient } from "../src/kube/client.js";

const ROOT = resolve(import.meta.dirname, "..");

export interface BenchCluster {
  kubeconfigPath: string;
  kube: KubeClient;
  /** Raw API calls over one keep-alive agent, for the bench's own bulk set-up. */
  api: ApiCaller;
  nodeName: string;
  /** Captures started so far (the stand-in tcpdump drops one file per run here). */
  capturesStarted(): number;
  down(): void;
}

const STAND_IN_TCPDUMP = (markers: string) => `#!/bin/sh
# Stand-in tcpdump for the benchmarks: a pcap header into -w, then capture until timeout ends it.
out=""
while [ $# -gt 0 ]; do [ "$1" = "-w" ] && out=$2; shift; done
printf '\\324\\303\\262\\241\\002\\000\\004\\000' > "$out"
touch "${markers}/capture-$$"
exec sleep 400
`;

export async function startCluster(): Promise<BenchCluster> {
  const bin = execFileSync("bash", [join(ROOT, "scripts/k8s/build.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const run = mkdtempSync(join(tmpdir(), "falco-talon-bench-k8s-"));
  const standIns = join(run, "stand-ins");
  const markers = join(run, "captures");
  mkdirSync(standIns);
  mkdirSync(markers);
  writeFileSync(join(standIns, "tcpdump"), STAND_IN_TCPDUMP(markers));
  chmodSync(join(standIns, "tcpdump"), 0o755);
  const down = () => {
    execFileSync("bash", [join(ROOT, "scripts/k8s/down.sh"), run], { stdio: "inherit" });
    rmSync(run, { recursive: true, force: true });
  };
  try {
    execFileSync("bash", [join(ROOT, "scripts/k8s/up.sh"), bin, run], {
      env: { ...process.env, PATH: `${standIns}:${process.env.PATH ?? ""}`, K8S_TEST_NODES: "1" },
      stdio: ["ignore", "ignore", "inherit"],
    });
  } catch (err) {
    rmSync(run, { recursive: true, force: true });
    throw err;
  }
  const kubeconfigPath = join(run, "kubeconfig");
  const kube = await createKubeClient(kubeconfigPath);
  return {
    kubeconfigPath,
    kube,
    api: apiCaller(kube),
    nodeName: "kwok-node-0",
    capturesStarted: () => (existsSync(markers) ? readdirSync(markers).length : 0),
    down,
  };
}

export async function createNamespace(kube: KubeClient, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name } } });
  // Pods are refused until kube-controller-manager has made the default ServiceAccount.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await kube.core.readNamespacedServiceAccount({ name: "default", namespace: name });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`no default ServiceAccount in ${name}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function pod(name: string, nodeName: string): V1Pod {
  return {
    metadata: { name, labels: { app: "bench" } },
    spec: { nodeName, containers: [{ name: "main", image: "registry.local/fake:1" }] },
  };
}

export type ApiCaller = (method: string, path: string, body?: unknown) => Promise<unknown>;

/** The bench's bulk set-up (thousands of pods): raw requests over one keep-alive agent, kept short. */
function apiCaller(kube: KubeClient): ApiCaller {
  const cluster = kube.config.getCurrentCluster();
  const user = kube.config.getCurrentUser();
  if (!cluster?.caFile || !user?.token) throw new Error("the bench kubeconfig needs a CA file and a token");
  const server = new URL(cluster.server);
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: readFileSync(cluster.caFile) });
  return (method, path, body) =>
    new Promise((resolveCall, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          host: server.hostname,
          port: server.port,
          path,
          method,
          headers: {
            authorization: `Bearer ${user.token}`,
            accept: "application/json",
            ...(payload ? { "content-type": "application/json" } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 0) >= 300)
              reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            else resolveCall(text === "" ? undefined : JSON.parse(text));
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
}

/** Creates the pods (bounded concurrency), then waits until kwok has them all Running. */
export async function createPods(api: ApiCaller, namespace: string, names: string[], nodeName: string) {
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      await api("POST", `/api/v1/namespaces/${namespace}/pods`, pod(name, nodeName));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const deadline = Date.now() + 120_000 + names.length * 20;
  const wanted = new Set(names);
  for (;;) {
    const list = (await api(
      "GET",
      `/api/v1/namespaces/${namespace}/pods?fieldSelector=status.phase%3DRunning`,
    )) as { items: V1Pod[] };
    if (list.items.filter((p) => wanted.has(p.metadata?.name ?? "")).length === names.length) return;
    if (Date.now() > deadline)
      throw new Error(`pods in ${namespace} not Running after ${names.length} creates`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A watch stream that ends this many times is given up on (the error says so). */
const WATCH_RESTARTS = 20;

/**
 * Records when each pod of the namespace disappears (the watch's DELETED event), by name. A
 * stream the API server or the network closes is reopened from the last resourceVersion seen
 * (bookmarks keep it fresh), so no deletion is lost: the client library ends a watch silently
 * when its connection closes, which once left a whole phase reporting 0 pods deleted.
 */
export async function watchDeletions(
  kube: KubeClient,
  namespace: string,
): Promise<{ deletedAt: Map<string, number>; error(): unknown; stop(): void }> {
  const deletedAt = new Map<string, number>();
  let failure: unknown;
  let stopped = false;
  let restarts = 0;
  let resourceVersion: string | undefined;
  let controller: AbortController | undefined;
  const open = async (): Promise<void> => {
    controller = await new Watch(kube.config).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      (phase, obj: V1Pod & { code?: number; message?: string }) => {
        if (phase === "ERROR") {
          failure = new Error(`watch ERROR ${obj.code ?? ""}: ${obj.message ?? ""}`);
          return;
        }
        resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
        const name = obj.metadata?.name ?? "";
        if (phase === "DELETED" && !deletedAt.has(name)) deletedAt.set(name, performance.now());
      },
      (err) => {
        if (stopped || failure) return;
        if (err && (err as { name?: string }).name !== "AbortError") {
          failure = err;
          return;
        }
        if (++restarts > WATCH_RESTARTS) {
          failure = new Error(`the pod watch of ${namespace} ended ${restarts} times`);
          return;
        }
        console.log(
          `[bench] the pod watch of ${namespace} ended; reopened at resourceVersion ${resourceVersion}`,
        );
        open().catch((e: unknown) => {
          failure = e;
        });
      },
    );
  };
  await open();
  return {
    deletedAt,
    error: () => failure,
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}

/** The names of the pods that exist in the namespace now. */
export async function podNames(api: ApiCaller, namespace: string): Promise<Set<string>> {
  const list = (await api("GET", `/api/v1/namespaces/${namespace}/pods`)) as { items: V1Pod[] };
  return new Set(list.items.map((p) => p.metadata?.name ?? ""));
}

/**
 * Plays the kubelet for ephemeral containers (kwok has none): marks each new one whose name
 * starts with `prefix` Running through pods/status, until stopped.
 */
export function runEphemeralContainers(
  kube: KubeClient,
  namespace: string,
  podName: string,
  prefix: string,
): { stop(): void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const p = await kube.core.readNamespacedPod({ name: podName, namespace });
        const known = new Set((p.status?.ephemeralContainerStatuses ?? []).map((s) => s.name));
        const added = (p.spec?.ephemeralContainers ?? []).filter(
          (c) => c.name.startsWith(prefix) && !known.has(c.name),
        );
        if (added.length > 0) {
          const statuses: V1ContainerStatus[] = added.map((c) => ({
            name: c.name,
            image: c.image ?? "",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { running: { startedAt: new Date() } },
          }));
          p.status = {
            ...p.status,
            ephemeralContainerStatuses: [...(p.status?.ephemeralContainerStatuses ?? []), ...statuses],
          };
          await kube.core.replaceNamespacedPodStatus({ name: podName, namespace, body: p });
        }
      } catch (err) {
        // 409: the pod changed under us; the next round retries.
        if ((err as { code?: number }).code !== 409) throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const done = loop();
  done.catch((err) => console.error(`ephemeral container driver: ${String(err)}`));
  return {
    stop: () => {
      stopped = true;
    },
  };
}
