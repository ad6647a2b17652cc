/**
 * The workload a pod belongs to, which a network policy is named after (the Deployment, not its
 * ReplicaSet) and selects on (its stable selector labels).
 */
import type { V1Pod } from "@kubernetes/client-node";
import { type KubeCallOptions, kubeCall, requestOptions } from "../../kube/call.js";
import type { KubeClient } from "../../kube/client.js";
import { checkLabels, checkNetworkPolicyName } from "../../kube/names.js";
import { resolveOwner } from "../../kube/pods.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "falco-talon";

/** Labels set per revision by controllers: selecting on them would miss the next rollout. */
const REVISION_LABELS = ["pod-template-hash", "controller-revision-hash", "pod-template-generation"];

export interface Workload {
  /** Name of the policy: the Deployment/DaemonSet/StatefulSet/ReplicaSet, or the standalone pod. */
  name: string;
  kind: string;
  /** The workload's selector labels without per-revision labels, sorted by key. */
  selector: Record<string, string>;
}

function stableLabels(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels ?? {}).sort()) {
    if (!REVISION_LABELS.includes(k)) out[k] = (labels as Record<string, string>)[k] as string;
  }
  return out;
}

/**
 * The workload the pod belongs to and its selector labels. Owners other than
 * Deployment, ReplicaSet, DaemonSet and StatefulSet (Job, Node, CRs), and workloads
 * without matchLabels, fail: `can't find the owner and/or labels for the pod …`.
 */
export async function podWorkload(kube: KubeClient, pod: V1Pod, opts: KubeCallOptions): Promise<Workload> {
  const namespace = pod.metadata?.namespace ?? "";
  const owner = await resolveOwner(kube, pod, opts);
  const read = <T>(what: string, fn: (signal: AbortSignal) => Promise<T>) => kubeCall(what, fn, opts);
  let labels: Record<string, string> | undefined;
  const name = owner.name;
  switch (owner.kind) {
    case "Deployment":
      labels = (
        await read(`get deployment ${namespace}/${name}`, (s) =>
          kube.apps.readNamespacedDeployment({ name, namespace }, requestOptions(s)),
        )
      ).spec?.selector?.matchLabels;
      break;
    case "ReplicaSet":
      labels = (
        await read(`get replicaset ${namespace}/${name}`, (s) =>
          kube.apps.readNamespacedReplicaSet({ name, namespace }, requestOptions(s)),
        )
      ).spec?.selector?.matchLabels;
      break;
    case "DaemonSet":
      labels = (
        await read(`get daemonset ${namespace}/${name}`, (s) =>
          kube.apps.readNamespacedDaemonSet({ name, namespace }, requestOptions(s)),
        )
      ).spec?.selector?.matchLabels;
      break;
    case "StatefulSet":
      labels = (
        await read(`get statefulset ${namespace}/${name}`, (s) =>
          kube.apps.readNamespacedStatefulSet({ name, namespace }, requestOptions(s)),
        )
      ).spec?.selector?.matchLabels;
      break;
    case "StandalonePod":
      labels = pod.metadata?.labels;
      break;
    default:
      labels = undefined;
  }
  const selector = stableLabels(labels);
  if (Object.keys(selector).length === 0) {
    throw new Error(
      `can't find the owner and/or labels for the pod '${pod.metadata?.name}' in the namespace '${namespace}'`,
    );
  }
  // The policy is named after the workload and selects on its labels (Calico writes them into a
  // selector expression): both must be what Kubernetes itself would accept.
  checkNetworkPolicyName(
    name,
    `the ${owner.kind.toLowerCase()} of the pod '${namespace}/${pod.metadata?.name}'`,
  );
  checkLabels(selector, `the selector of the ${owner.kind.toLowerCase()} '${namespace}/${name}'`);
  return { name, kind: owner.kind, selector };
}

/** The policy's own labels: the selector plus the managed-by marker. */
export function policyLabels(w: Workload): Record<string, string> {
  return { ...w.selector, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
}
