/**
 * Pieces shared by kubernetes:networkpolicy, calico:networkpolicy and cilium:networkpolicy:
 * the workload a pod belongs to (named after the Deployment, not its ReplicaSet), the
 * workload's stable selector labels, CIDR / IP parameters and create-or-update plumbing.
 */
import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { stringList } from "../../../config/schema.js";
import type { FalcoEvent } from "../../../events/event.js";
import { fieldText, getRemoteIP } from "../../../events/fields.js";
import {
  callOptions,
  dryRunParam,
  isNotFound,
  type KubeCallOptions,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
  statusCode,
} from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import {
  checkIp,
  checkLabels,
  checkNamespace,
  checkNetworkPolicyName,
  cidrProblem,
  dnsLabelProblem,
  hostCidr,
} from "../../../kube/names.js";
import { getPod, type PodRef, podRefFromEvent, resolveOwner } from "../../../kube/pods.js";
import type { ActionInput, ActionPlan, ActionResult } from "../../../plugins/types.js";
import { eventFailure, podText } from "../pod.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "falco-talon";

/** Labels set per revision by controllers: selecting on them would miss the next rollout. */
const REVISION_LABELS = ["pod-template-hash", "controller-revision-hash", "pod-template-generation"];

/** True when `s` is an IPv4 or IPv6 CIDR with a prefix length valid for its family. */
export function isCidr(s: string): boolean {
  return cidrProblem(s) === undefined;
}

/** `allow_cidr`: a list (or comma string) of CIDRs; a bad one is `wrong CIDR '<c>': <reason>`. */
export const allowCidr = stringList.superRefine((list, ctx) => {
  for (const c of list) {
    const problem = cidrProblem(c);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `wrong CIDR '${c}': ${problem}` });
  }
});

/** `allow_namespaces`: namespace names (DNS-1123 labels). */
export const allowNamespaces = stringList.superRefine((list, ctx) => {
  for (const n of list) {
    const problem = dnsLabelProblem(n);
    if (problem !== undefined)
      ctx.addIssue({ code: "custom", message: `wrong namespace '${n}': ${problem}` });
  }
});

/** Removes duplicates, keeping the first occurrence's position. */
export function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

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

/** The event's remote IP (`fd.rip`, else `fd.sip`), validated (an InvalidNameError otherwise). */
export function remoteIp(event: FalcoEvent): { ip: string; cidr: string } {
  const ip = getRemoteIP(event);
  if (ip === "") throw new Error("missing remote IP (fd.rip or fd.sip)");
  const field = ["fd.rip", "fd.sip"].find((k) => fieldText(event.output_fields[k]) === ip) ?? "fd.rip";
  checkIp(ip, field);
  return { ip, cidr: hostCidr(ip) };
}

/**
 * Settles with `p`, or rejects as soon as `signal` aborts (KubernetesObjectApi takes no
 * per-request signal, so the attempt timeout is enforced here).
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

export interface Upsert<T> {
  /** Reads the current object; resolves undefined when it doesn't exist. */
  read(): Promise<T | undefined>;
  create(): Promise<unknown>;
  /** Replaces `current` (whose resourceVersion guards against lost updates). */
  update(current: T): Promise<unknown>;
}

/**
 * Create, or update the existing object. A create that loses a race (409 AlreadyExists)
 * and an update that hits a conflict (409) re-read and retry, a few times.
 */
export async function createOrUpdate<T>(ops: Upsert<T>): Promise<"created" | "updated"> {
  for (let attempt = 0; ; attempt++) {
    const current = await ops.read();
    try {
      if (current === undefined) {
        await ops.create();
        return "created";
      }
      await ops.update(current);
      return "updated";
    } catch (err) {
      if (statusCode(err) !== 409 || attempt >= 4) throw err;
    }
  }
}

/** read() for createOrUpdate: 404 is "absent". */
export async function readOrUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A custom resource read back through KubernetesObjectApi. */
export type CustomObject<S> = KubernetesObject & { spec?: S };

/**
 * Create-or-update of a policy custom resource (Calico, Cilium) through KubernetesObjectApi:
 * on update the existing labels are kept and the spec is rebuilt from the current one.
 */
export function upsertPolicyObject<S>(args: {
  kube: KubeClient;
  header: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };
  labels: Record<string, string>;
  buildSpec: (current?: S) => S;
  dryRun: "All" | undefined;
  opts: KubeCallOptions;
  what: string;
}): Promise<"created" | "updated"> {
  const { kube, header, labels, buildSpec, dryRun, opts, what } = args;
  return createOrUpdate<CustomObject<S>>({
    read: () =>
      readOrUndefined(() =>
        kubeCall(`get ${what}`, (s) => untilAborted(kube.objects.read<CustomObject<S>>(header), s), opts),
      ),
    create: () =>
      kubeCall(
        `create ${what}`,
        (s) =>
          untilAborted(
            kube.objects.create(
              { ...header, metadata: { ...header.metadata, labels }, spec: buildSpec() },
              undefined,
              dryRun,
            ),
            s,
          ),
        opts,
      ),
    update: (current) =>
      kubeCall(
        `update ${what}`,
        (s) =>
          untilAborted(
            kube.objects.replace(
              {
                ...header,
                metadata: {
                  ...header.metadata,
                  labels: { ...current.metadata?.labels, ...labels },
                  resourceVersion: current.metadata?.resourceVersion,
                },
                spec: buildSpec(current.spec),
              },
              undefined,
              dryRun,
            ),
            s,
          ),
        opts,
      ),
  });
}

/**
 * checks and run shared by the policy-CRD actionners (Calico, Cilium): deny egress from the
 * pod's workload to the event's remote IP, creating or updating one policy per workload.
 */
/** What the allow parameters let through, for plans. */
export function allowsText(p: { allow_cidr: string[]; allow_namespaces: string[] }): string {
  const parts = [
    ...(p.allow_cidr.length > 0 ? [`the CIDRs ${unique(p.allow_cidr).join(", ")}`] : []),
    ...(p.allow_namespaces.length > 0 ? [`the namespaces ${unique(p.allow_namespaces).join(", ")}`] : []),
  ];
  return parts.length > 0 ? `allow egress to ${parts.join(" and ")}` : "allow all other egress";
}

export function remoteIpPolicyActionner<
  P extends { allow_cidr: string[]; allow_namespaces: string[] },
  S,
>(crd: {
  apiVersion: string;
  kind: string;
  /** Object key and output wording, e.g. `caliconetworkpolicy`. */
  objectKey: string;
  buildSpec: (workload: Workload, parameters: P, cidr: string, current?: S) => S;
}): {
  checks(input: ActionInput<P>): Promise<void>;
  plan(input: ActionInput<P>): ActionPlan;
  run(input: ActionInput<P>): Promise<ActionResult>;
} {
  /** Everything taken from the event, validated before any request. */
  const fromEvent = (event: FalcoEvent): { ref: PodRef; cidr: string } => {
    const ref = podRefFromEvent(event);
    const { cidr } = remoteIp(event);
    return { ref, cidr };
  };
  return {
    async checks({ event, env }) {
      const { ref } = fromEvent(event);
      await getPod(env.kube(), ref, callOptions(env));
    },
    plan({ event, parameters }) {
      const { ref, cidr } = fromEvent(event);
      return {
        objects: { pod: ref.name, namespace: ref.namespace },
        plan: `create or update the ${crd.kind} (${crd.apiVersion}) named after the workload of ${podText(ref)}: deny egress to ${cidr}, ${allowsText(parameters)}`,
        details: { apiVersion: crd.apiVersion, kind: crd.kind, deny: cidr, parameters },
      };
    },
    async run({ event, parameters, env }) {
      let ref: PodRef;
      let cidr: string;
      try {
        ({ ref, cidr } = fromEvent(event));
      } catch (err) {
        return eventFailure(err);
      }
      const objects: Record<string, string> = { pod: ref.name, namespace: ref.namespace };
      const kube = env.kube();
      const opts = callOptions(env);
      try {
        const workload = await podWorkload(kube, await getPod(kube, ref, opts), opts);
        const { name } = workload;
        const namespace = checkNamespace(ref.namespace);
        objects[crd.objectKey] = name;
        const outcome = await upsertPolicyObject<S>({
          kube,
          header: { apiVersion: crd.apiVersion, kind: crd.kind, metadata: { name, namespace } },
          labels: policyLabels(workload),
          buildSpec: (current) => crd.buildSpec(workload, parameters, cidr, current),
          dryRun: dryRunParam(env),
          opts,
          what: `${crd.objectKey} ${namespace}/${name}`,
        });
        return {
          status: "success",
          output: `the ${crd.objectKey} '${name}' in the namespace '${namespace}' has been ${outcome}`,
          objects,
        };
      } catch (err) {
        return { status: "failure", error: kubeErrorMessage(err), objects };
      }
    },
  };
}
