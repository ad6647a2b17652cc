/**
 * kubernetes:networkpolicy — isolates the event pod's workload: a networking.k8s.io/v1
 * NetworkPolicy denying all egress except `allow_cidr` and `allow_namespaces` (namespaces
 * selected by their real `kubernetes.io/metadata.name` label; the policy is named after the
 * Deployment rather than its ReplicaSet). Reversible: a revert deletes the policy the action
 * created or puts back the one it replaced (./revert.ts, network-policy/revert.ts).
 */
import type { V1NetworkPolicy, V1NetworkPolicyPeer } from "@kubernetes/client-node";
import { z } from "zod";
import { callOptions, dryRunParam, kubeCall, requestOptions } from "../../../kube/call.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult } from "../../../plugins/types.js";
import { allowCidr, allowNamespaces, allowsText, unique } from "../../network-policy/parameters.js";
import { policyUndo } from "../../network-policy/revert.js";
import { readOrUndefined, upsert } from "../../network-policy/upsert.js";
import { podWorkload, policyLabels, type Workload } from "../../network-policy/workload.js";
import { revertAfter } from "../../revert-after/index.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";
import { API_VERSION, KIND, networkPolicyReversible, stateOf } from "./revert.js";

const parameters = z.object({
  allow_cidr: allowCidr.default([]),
  allow_namespaces: allowNamespaces.default([]),
  revert_after: revertAfter,
});
type Params = z.output<typeof parameters>;

/** The wanted policy; the same inputs always give the same object (idempotent updates). */
export function buildNetworkPolicy(namespace: string, w: Workload, p: Params): V1NetworkPolicy {
  const to: V1NetworkPolicyPeer[] = [
    ...unique(p.allow_cidr).map((cidr) => ({ ipBlock: { cidr } })),
    ...unique(p.allow_namespaces).map((ns) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
    })),
  ];
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: w.name, namespace, labels: policyLabels(w) },
    spec: {
      podSelector: { matchLabels: w.selector },
      policyTypes: ["Egress"],
      // No rule at all denies every egress packet (DNS included); one rule allows its peers.
      egress: to.length > 0 ? [{ to }] : [],
    },
  };
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "networkpolicy",
    description: "Deny the egress traffic of the pod's workload with a NetworkPolicy",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        {
          apiGroups: ["apps"],
          resources: ["replicasets", "deployments", "daemonsets", "statefulsets"],
          verbs: ["get"],
        },
        {
          apiGroups: ["networking.k8s.io"],
          resources: ["networkpolicies"],
          // delete and update: a revert deletes the policy the action created or restores the one it replaced.
          verbs: ["get", "create", "update", "delete"],
        },
      ],
    },
    example: `- action: Isolate the pod
  actionner: kubernetes:networkpolicy
  parameters:
    allow_cidr:
      - "192.168.1.0/24"
      - "172.17.0.0/16"
    allow_namespaces:
      - "green-ns"
      - "blue-ns"
`,
  },
  parameters,
  checks: checkEventPod,
  reversible: networkPolicyReversible,
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    return {
      objects: podObjects(ref),
      plan: `create or update the NetworkPolicy named after the workload of ${podText(ref)}: ${p.allow_cidr.length + p.allow_namespaces.length === 0 ? "deny all its egress (DNS included)" : `deny its egress, ${allowsText(p)}`}`,
      details: { allow_cidr: p.allow_cidr, allow_namespaces: p.allow_namespaces },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, env } = input;
      const kube = await env.kube();
      const opts = callOptions(env);
      const dryRun = dryRunParam(env);
      const pod = await eventPod(input);
      const workload = await podWorkload(kube, pod, opts);
      const name = workload.name;
      const namespace = ref.namespace;
      objects.networkpolicy = name;
      const wanted = buildNetworkPolicy(namespace, workload, p);
      const upserted = await upsert<V1NetworkPolicy, V1NetworkPolicy>({
        read: () =>
          readOrUndefined(() =>
            kubeCall(
              `get networkpolicy ${namespace}/${name}`,
              (s) => kube.networking.readNamespacedNetworkPolicy({ name, namespace }, requestOptions(s)),
              opts,
            ),
          ),
        create: () =>
          kubeCall(
            `create networkpolicy ${namespace}/${name}`,
            (s) =>
              kube.networking.createNamespacedNetworkPolicy(
                { namespace, body: wanted, dryRun },
                requestOptions(s),
              ),
            opts,
          ),
        update: (current) =>
          kubeCall(
            `update networkpolicy ${namespace}/${name}`,
            (s) =>
              kube.networking.replaceNamespacedNetworkPolicy(
                {
                  name,
                  namespace,
                  dryRun,
                  body: {
                    ...wanted,
                    metadata: {
                      ...wanted.metadata,
                      labels: { ...current.metadata?.labels, ...wanted.metadata?.labels },
                      // Kept, so the spec and labels are all the update changes (and all a revert restores).
                      ...(current.metadata?.annotations ? { annotations: current.metadata.annotations } : {}),
                      resourceVersion: current.metadata?.resourceVersion,
                    },
                  },
                },
                requestOptions(s),
              ),
            opts,
          ),
      });
      // A server dry run stored nothing: there is nothing to undo.
      const undo =
        env.dryRun === "server"
          ? undefined
          : policyUndo({ apiVersion: API_VERSION, kind: KIND, namespace, name }, upserted, await stateOf());
      return {
        status: "success",
        output: `the networkpolicy '${name}' in the namespace '${namespace}' has been ${upserted.outcome}`,
        objects,
        ...(undo ? { undo } : {}),
      };
    }),
});
