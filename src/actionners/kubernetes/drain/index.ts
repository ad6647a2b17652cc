/**
 * kubernetes:drain — evicts every pod of the event pod's node through the Eviction API,
 * so PodDisruptionBudgets are honoured. Evictions run a few at a time;
 * `min_healthy_replicas` counts the replicas this drain has already taken away, and
 * `wait_period_excluded_namespaces` is honoured (Talon parses it but never uses it).
 * The node is not cordoned (use kubernetes:cordon first).
 */
import type { V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { stringList } from "../../../config/schema.js";
import {
  callOptions,
  dryRunParam,
  isNotFound,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
  statusCode,
} from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { checkNamespace, checkPodName } from "../../../kube/names.js";
import { type PodOwner, podRefFromEvent, resolveOwner } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult, PluginEnv } from "../../../plugins/types.js";
import { boolish, type MinHealthy, minHealthyReplicas, nonNegativeInt } from "../params.js";
import { checkEventPod, podObjects, podText, runOnPodNode } from "../pod.js";

const parameters = z.object({
  ignore_daemonsets: boolish.default(false),
  ignore_statefulsets: boolish.default(false),
  ignore_errors: boolish.default(false),
  min_healthy_replicas: minHealthyReplicas.optional(),
  /** Seconds to wait for the evicted pods to be gone; 0 = don't wait. */
  max_wait_period: nonNegativeInt.default(0),
  wait_period_excluded_namespaces: stringList.default([]),
});
type Params = z.output<typeof parameters>;

/** Evictions in flight at once (Talon starts one goroutine per pod). */
export const EVICTION_CONCURRENCY = 5;
const WAIT_POLL_MS = 1000;

/** An eviction the API server refused (429: a PodDisruptionBudget forbids it now). */
class EvictionRefused extends Error {}

interface Counters {
  ignored: number;
  evictionErrors: number;
  otherErrors: number;
  notGone: number;
}

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Replica accounting for `min_healthy_replicas` across one drain: ready/desired are read
 * once per workload, and every eviction of a ready replica is reserved before it is sent,
 * so concurrent evictions cannot take a workload below the minimum.
 */
class ReplicaBudget {
  private readonly counts = new Map<string, Promise<{ ready: number; desired: number }>>();
  private readonly taken = new Map<string, number>();

  constructor(
    private readonly kube: KubeClient,
    private readonly min: MinHealthy,
    private readonly env: PluginEnv,
  ) {}

  /** Reserves the pod's replica; returns why it must be kept, or undefined (reserved). */
  async reserve(pod: V1Pod, owner: PodOwner): Promise<string | undefined> {
    const namespace = pod.metadata?.namespace ?? "";
    const key = `${owner.kind}/${namespace}/${owner.name}`;
    let counts = this.counts.get(key);
    if (!counts) {
      counts = this.readCounts(namespace, owner);
      this.counts.set(key, counts);
    }
    const { ready, desired } = await counts;
    // Synchronous from here on: the check and the reservation cannot interleave.
    const taken = this.taken.get(key) ?? 0;
    const cost = isReady(pod) ? 1 : 0;
    const after = Math.max(0, ready - taken - cost);
    const kind = owner.kind.toLowerCase();
    if (this.min.kind === "count" && after < this.min.value) {
      return `the ${kind} '${owner.name}' would have ${after} healthy replicas, fewer than ${this.min.value}`;
    }
    if (this.min.kind === "percent") {
      const pct = desired > 0 ? (after * 100) / desired : 0;
      if (pct < this.min.value) {
        return `the ${kind} '${owner.name}' would have ${Math.floor(pct)}% healthy replicas, less than ${this.min.value}%`;
      }
    }
    this.taken.set(key, taken + cost);
    return undefined;
  }

  release(pod: V1Pod, owner: PodOwner): void {
    const key = `${owner.kind}/${pod.metadata?.namespace ?? ""}/${owner.name}`;
    if (isReady(pod)) this.taken.set(key, Math.max(0, (this.taken.get(key) ?? 0) - 1));
  }

  private async readCounts(namespace: string, owner: PodOwner) {
    const opts = callOptions(this.env);
    if (owner.kind === "Deployment") {
      const d = await kubeCall(
        `get deployment ${namespace}/${owner.name}`,
        (s) => this.kube.apps.readNamespacedDeployment({ name: owner.name, namespace }, requestOptions(s)),
        opts,
      );
      return { ready: d.status?.readyReplicas ?? 0, desired: d.spec?.replicas ?? 1 };
    }
    const rs = await kubeCall(
      `get replicaset ${namespace}/${owner.name}`,
      (s) => this.kube.apps.readNamespacedReplicaSet({ name: owner.name, namespace }, requestOptions(s)),
      opts,
    );
    return { ready: rs.status?.readyReplicas ?? 0, desired: rs.spec?.replicas ?? 1 };
  }
}

async function listNodePods(kube: KubeClient, nodeName: string, env: PluginEnv): Promise<V1Pod[]> {
  const list = await kubeCall(
    `list pods on node ${nodeName}`,
    (s) =>
      kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }, requestOptions(s)),
    callOptions(env),
  );
  return list.items;
}

async function evict(kube: KubeClient, pod: V1Pod, env: PluginEnv): Promise<"evicted" | "gone"> {
  const name = checkPodName(pod.metadata?.name ?? "", "the node's pod list");
  const namespace = checkNamespace(pod.metadata?.namespace ?? "", "the node's pod list");
  const dryRun = dryRunParam(env);
  try {
    await kubeCall(
      `evict pod ${namespace}/${name}`,
      async (s) => {
        try {
          return await kube.core.createNamespacedPodEviction(
            {
              name,
              namespace,
              dryRun,
              body: {
                apiVersion: "policy/v1",
                kind: "Eviction",
                metadata: { name, namespace },
                ...(dryRun ? { deleteOptions: { dryRun: [dryRun] } } : {}),
              },
            },
            requestOptions(s),
          );
        } catch (err) {
          // Not retried here: a budget that forbids the eviction now is reported as such.
          if (statusCode(err) === 429) throw new EvictionRefused(kubeErrorMessage(err));
          throw err;
        }
      },
      callOptions(env),
    );
    return "evicted";
  } catch (err) {
    if (isNotFound(err)) return "gone";
    throw err;
  }
}

/** Polls the node's pods until the awaited ones are gone or the period ends; returns those left. */
async function waitGone(
  kube: KubeClient,
  nodeName: string,
  awaited: V1Pod[],
  seconds: number,
  env: PluginEnv,
): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let left = awaited.map((p) => p.metadata?.uid ?? "");
  while (left.length > 0) {
    const present = new Set((await listNodePods(kube, nodeName, env)).map((p) => p.metadata?.uid ?? ""));
    left = left.filter((uid) => present.has(uid));
    const remaining = deadline - Date.now();
    if (left.length === 0 || remaining <= 0 || env.signal.aborted) break;
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, remaining)));
  }
  return left.length;
}

async function drainNode(kube: KubeClient, nodeName: string, p: Params, env: PluginEnv): Promise<Counters> {
  const c: Counters = { ignored: 0, evictionErrors: 0, otherErrors: 0, notGone: 0 };
  const log = env.logger.child({ node: nodeName });
  const budget = p.min_healthy_replicas ? new ReplicaBudget(kube, p.min_healthy_replicas, env) : undefined;
  const excluded = new Set(p.wait_period_excluded_namespaces);
  const awaited: V1Pod[] = [];
  const pods = await listNodePods(kube, nodeName, env);
  await forEachLimit(pods, EVICTION_CONCURRENCY, async (pod) => {
    const id = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (isMirrorPod(pod)) {
      c.ignored++;
      return;
    }
    let owner: PodOwner;
    try {
      owner = await resolveOwner(kube, pod, callOptions(env));
    } catch (err) {
      c.otherErrors++;
      log.warn({ pod: id, error: kubeErrorMessage(err) }, "drain: can't resolve the pod's owner");
      return;
    }
    if (
      (owner.kind === "DaemonSet" && p.ignore_daemonsets) ||
      (owner.kind === "StatefulSet" && p.ignore_statefulsets)
    ) {
      c.ignored++;
      return;
    }
    let reserved = false;
    if (budget && (owner.kind === "Deployment" || owner.kind === "ReplicaSet")) {
      try {
        const reason = await budget.reserve(pod, owner);
        if (reason) {
          c.ignored++;
          log.info({ pod: id, reason }, "drain: pod kept");
          return;
        }
        reserved = true;
      } catch (err) {
        c.otherErrors++;
        log.warn({ pod: id, error: kubeErrorMessage(err) }, "drain: can't read the replicas");
        return;
      }
    }
    try {
      const outcome = await evict(kube, pod, env);
      if (outcome === "evicted" && !excluded.has(pod.metadata?.namespace ?? "")) awaited.push(pod);
    } catch (err) {
      if (reserved && budget) budget.release(pod, owner);
      if (err instanceof EvictionRefused) c.evictionErrors++;
      else c.otherErrors++;
      log.warn({ pod: id, error: kubeErrorMessage(err) }, "drain: eviction failed");
    }
  });
  // A server dry run deletes nothing: there is nothing to wait for.
  if (p.max_wait_period > 0 && awaited.length > 0 && !env.dryRun) {
    try {
      c.notGone = await waitGone(kube, nodeName, awaited, p.max_wait_period, env);
    } catch (err) {
      c.otherErrors++;
      log.warn({ error: kubeErrorMessage(err) }, "drain: can't list the node's pods while waiting");
    }
  }
  return c;
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "drain",
    description: "Drain the node the pod runs on (evictions honour PodDisruptionBudgets)",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
        { apiGroups: ["apps"], resources: ["replicasets", "deployments"], verbs: ["get"] },
      ],
    },
    example: `- action: Drain the node
  actionner: kubernetes:drain
  parameters:
    ignore_daemonsets: true
    ignore_statefulsets: true
    min_healthy_replicas: 33%
    max_wait_period: 90
    wait_period_excluded_namespaces:
      - kube-system
`,
  },
  parameters,
  nodeLevel: () => true,
  checks: checkEventPod,
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    const skipped = [
      p.ignore_daemonsets ? "daemonsets' pods" : "",
      p.ignore_statefulsets ? "statefulsets' pods" : "",
      "mirror pods",
    ].filter((s) => s !== "");
    return {
      objects: podObjects(ref),
      plan: `evict every pod of the node of ${podText(ref)} (except ${skipped.join(", ")})${p.max_wait_period > 0 ? `, waiting up to ${p.max_wait_period}s for them to be gone` : ""}`,
      details: {
        ignore_daemonsets: p.ignore_daemonsets,
        ignore_statefulsets: p.ignore_statefulsets,
        ignore_errors: p.ignore_errors,
        max_wait_period: p.max_wait_period,
        ...(p.min_healthy_replicas
          ? {
              min_healthy_replicas: `${p.min_healthy_replicas.value}${p.min_healthy_replicas.kind === "percent" ? "%" : ""}`,
            }
          : {}),
      },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPodNode(input, async (nodeName) => {
      const { parameters: p, env } = input;
      const c = await drainNode(await env.kube(), nodeName, p, env);
      const objects = { node: nodeName };
      if (p.ignore_errors || (c.evictionErrors === 0 && c.otherErrors === 0 && c.notGone === 0)) {
        return {
          status: "success",
          output: `the node '${nodeName}' has been drained, errors are ignored: ${c.ignored} ignored pods, ${c.evictionErrors} eviction errors, ${c.otherErrors} other errors`,
          objects,
        };
      }
      const text = `the node '${nodeName}' has not been fully drained: ${c.ignored} pods ignored, ${c.evictionErrors} eviction errors, ${c.notGone} were not evicted during max_wait_period, ${c.otherErrors} other errors`;
      return { status: "failure", output: text, error: text, objects };
    }),
});
