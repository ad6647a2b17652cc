/**
 * Pod lookup and owner resolution shared by the Kubernetes actionners and contexts.
 */
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import type { FalcoEvent } from "../events/event.js";
import { fieldText, getNamespace, getPodName } from "../events/fields.js";
import type { KubeCallOptions } from "./call.js";
import { isNotFound, kubeCall, kubeErrorMessage, requestOptions } from "./call.js";
import type { KubeClient } from "./client.js";
import { checkNamespace, checkNodeName, checkObjectName, checkPodName } from "./names.js";

export interface PodRef {
  name: string;
  namespace: string;
}

/** The event field a getter's value came from (the first of `keys` holding it). */
function sourceField(event: FalcoEvent, keys: string[], value: string): string {
  return keys.find((k) => fieldText(event.output_fields[k]) === value) ?? (keys[0] as string);
}

/**
 * The event's pod; throws `missing pod name` / `missing namespace`, or an InvalidNameError when
 * the name isn't a DNS-1123 subdomain or the namespace a DNS-1123 label (`..`, `a/../b`,
 * `Victim`...): no request may be built from such a value.
 */
export function podRefFromEvent(event: FalcoEvent): PodRef {
  const name = getPodName(event);
  if (name === "") throw new Error("missing pod name");
  const namespace = getNamespace(event);
  if (namespace === "") throw new Error("missing namespace");
  checkPodName(name, sourceField(event, ["k8s.pod.name", "ka.target.pod.name", "ka.target.name"], name));
  checkNamespace(namespace, sourceField(event, ["k8s.ns.name", "ka.target.namespace"], namespace));
  return { name, namespace };
}

/** `the pod 'ns/name'`, for naming a pod object as the source of a value. */
function podText(pod: V1Pod): string {
  return `the pod '${pod.metadata?.namespace}/${pod.metadata?.name}'`;
}

/** The pod's node name (spec.nodeName), validated; "" when the pod is not scheduled. */
export function podNodeName(pod: V1Pod): string {
  const nodeName = pod.spec?.nodeName ?? "";
  if (nodeName !== "") checkNodeName(nodeName, `spec.nodeName of ${podText(pod)}`);
  return nodeName;
}

export function podNotFoundMessage(ref: PodRef): string {
  return `the pod '${ref.name}' in the namespace '${ref.namespace}' doesn't exist`;
}

/** GET pod; a 404 becomes `the pod '<p>' in the namespace '<ns>' doesn't exist`. */
export async function getPod(kube: KubeClient, ref: PodRef, opts: KubeCallOptions = {}): Promise<V1Pod> {
  // podRefFromEvent has checked these; a reference built any other way is checked here.
  checkPodName(ref.name);
  checkNamespace(ref.namespace);
  try {
    return await kubeCall(
      `get pod ${ref.namespace}/${ref.name}`,
      (signal) =>
        kube.core.readNamespacedPod({ name: ref.name, namespace: ref.namespace }, requestOptions(signal)),
      opts,
    );
  } catch (err) {
    if (isNotFound(err)) throw new Error(podNotFoundMessage(ref));
    throw new Error(
      `can't get the pod '${ref.name}' in the namespace '${ref.namespace}': ${kubeErrorMessage(err)}`,
    );
  }
}

/** The node a pod runs on; fails clearly when unscheduled or missing. */
export async function getPodNode(kube: KubeClient, pod: V1Pod, opts: KubeCallOptions = {}): Promise<V1Node> {
  const nodeName = podNodeName(pod);
  if (nodeName === "") {
    throw new Error(
      `the pod '${pod.metadata?.name}' in the namespace '${pod.metadata?.namespace}' is not scheduled on a node`,
    );
  }
  try {
    return await kubeCall(
      `get node ${nodeName}`,
      (signal) => kube.core.readNode({ name: nodeName }, requestOptions(signal)),
      opts,
    );
  } catch (err) {
    if (isNotFound(err)) throw new Error(`the node '${nodeName}' doesn't exist`);
    throw new Error(`can't get the node '${nodeName}': ${kubeErrorMessage(err)}`);
  }
}

export type OwnerKind = "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "StandalonePod" | "Other";

export interface PodOwner {
  kind: OwnerKind;
  /** Name of the workload (the Deployment for Deployment-managed pods); the pod's for standalone. */
  name: string;
  /** Kind as written in the owner reference (e.g. `Job`), for `Other`. */
  rawKind: string;
  /** The ReplicaSet when the pod is managed by one (also set for Deployments). */
  replicaSet?: string;
}

/**
 * The pod's controlling owner, walking ReplicaSet → Deployment. Pods without owners are
 * `StandalonePod`; owners other than workloads (Job, Node, CRs) are `Other`. Owner names are
 * validated before they name a request (or a policy).
 */
export async function resolveOwner(
  kube: KubeClient,
  pod: V1Pod,
  opts: KubeCallOptions = {},
): Promise<PodOwner> {
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  const namespace = pod.metadata?.namespace ?? "";
  if (!ref) {
    const name = checkPodName(pod.metadata?.name ?? "", `metadata.name of ${podText(pod)}`);
    return { kind: "StandalonePod", name, rawKind: "Pod" };
  }
  checkNamespace(namespace, `metadata.namespace of ${podText(pod)}`);
  if (ref.kind === "DaemonSet" || ref.kind === "StatefulSet") {
    const name = checkObjectName(ref.kind.toLowerCase(), ref.name, `the owner references of ${podText(pod)}`);
    return { kind: ref.kind, name, rawKind: ref.kind };
  }
  if (ref.kind !== "ReplicaSet") return { kind: "Other", name: ref.name, rawKind: ref.kind };
  checkObjectName("replicaset", ref.name, `the owner references of ${podText(pod)}`);
  const rs = await kubeCall(
    `get replicaset ${namespace}/${ref.name}`,
    (signal) => kube.apps.readNamespacedReplicaSet({ name: ref.name, namespace }, requestOptions(signal)),
    opts,
  );
  const rsRefs = rs.metadata?.ownerReferences ?? [];
  const dep =
    rsRefs.find((r) => r.controller && r.kind === "Deployment") ??
    rsRefs.find((r) => r.kind === "Deployment");
  if (dep) {
    checkObjectName(
      "deployment",
      dep.name,
      `the owner references of the replicaset '${namespace}/${ref.name}'`,
    );
    return { kind: "Deployment", name: dep.name, rawKind: "Deployment", replicaSet: ref.name };
  }
  return { kind: "ReplicaSet", name: ref.name, rawKind: "ReplicaSet", replicaSet: ref.name };
}
