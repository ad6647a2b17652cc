/**
 * The labels that tie a pod to its controller and to Services: the keys of every selector that
 * selects it. Taking them off the pod makes its ReplicaSet (StatefulSet, DaemonSet) release it
 * and start a replacement, and the Services stop sending it traffic.
 */
import type { V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import { type KubeCallOptions, kubeCall, requestOptions } from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { checkNamespace, checkObjectName } from "../../../kube/names.js";

export interface Detach {
  /** The pod's label keys to take off, sorted. */
  keys: string[];
  /** What selects the pod on them (`replicaset 'web-5d8f'`, `service 'web'`), for outputs. */
  selectedBy: string[];
}

/**
 * Keys a selector needs on the pod: removing one of a `matchLabels` or `In`/`Exists` key makes
 * it stop matching (removing a `NotIn`/`DoesNotExist` key would not).
 */
export function selectorKeys(selector: V1LabelSelector | undefined): string[] {
  return [
    ...Object.keys(selector?.matchLabels ?? {}),
    ...(selector?.matchExpressions ?? [])
      .filter((e) => e.operator === "In" || e.operator === "Exists")
      .map((e) => e.key),
  ];
}

/** True when every key of a Service's selector has the same value on the pod. */
export function serviceSelects(selector: Record<string, string> | undefined, labels: Record<string, string>) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

const CONTROLLERS = ["ReplicaSet", "StatefulSet", "DaemonSet"];

/** The selector of the pod's controller, when it has one. */
async function controllerSelector(
  kube: KubeClient,
  pod: V1Pod,
  opts: KubeCallOptions,
): Promise<{ what: string; selector: V1LabelSelector | undefined } | undefined> {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!owner) return undefined;
  const namespace = pod.metadata?.namespace ?? "";
  const podName = `the pod '${namespace}/${pod.metadata?.name}'`;
  if (!owner.apiVersion.startsWith("apps/") || !CONTROLLERS.includes(owner.kind)) {
    throw new Error(
      `can't detach ${podName} from its controller ${owner.kind} '${owner.name}': only ReplicaSets, StatefulSets and DaemonSets are supported (set detach: false to quarantine it without detaching it)`,
    );
  }
  const kind = owner.kind.toLowerCase();
  const name = checkObjectName(kind, owner.name, `the owner references of ${podName}`);
  const read = <T>(fn: (s: AbortSignal) => Promise<T>) =>
    kubeCall(`get ${kind} ${namespace}/${name}`, fn, opts);
  const args = { name, namespace };
  const object =
    owner.kind === "ReplicaSet"
      ? await read((s) => kube.apps.readNamespacedReplicaSet(args, requestOptions(s)))
      : owner.kind === "StatefulSet"
        ? await read((s) => kube.apps.readNamespacedStatefulSet(args, requestOptions(s)))
        : await read((s) => kube.apps.readNamespacedDaemonSet(args, requestOptions(s)));
  return { what: `${kind} '${name}'`, selector: object.spec?.selector };
}

/** The keys to take off the pod: those of its controller's selector and of the Services selecting it. */
export async function detachKeys(kube: KubeClient, pod: V1Pod, opts: KubeCallOptions): Promise<Detach> {
  const namespace = checkNamespace(pod.metadata?.namespace ?? "");
  const labels = pod.metadata?.labels ?? {};
  const keys = new Set<string>();
  const selectedBy: string[] = [];
  const controller = await controllerSelector(kube, pod, opts);
  if (controller) {
    const own = selectorKeys(controller.selector).filter((k) => Object.hasOwn(labels, k));
    if (own.length === 0) {
      throw new Error(
        `can't detach the pod '${namespace}/${pod.metadata?.name}' from its ${controller.what}: its selector has no label the pod can drop (set detach: false to quarantine it without detaching it)`,
      );
    }
    for (const k of own) keys.add(k);
    selectedBy.push(controller.what);
  }
  const services = await kubeCall(
    `list services in ${namespace}`,
    (s) => kube.core.listNamespacedService({ namespace }, requestOptions(s)),
    opts,
  );
  for (const svc of services.items) {
    if (!serviceSelects(svc.spec?.selector, labels)) continue;
    for (const k of Object.keys(svc.spec?.selector ?? {})) keys.add(k);
    selectedBy.push(`service '${svc.metadata?.name}'`);
  }
  return { keys: [...keys].sort(), selectedBy };
}
