/** kubernetes:terminate — deletes the event's pod, unless its owner must be spared. */
import type { V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { callOptions, dryRunParam, kubeCall, requestOptions } from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { type PodOwner, podRefFromEvent, resolveOwner } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult, PluginEnv } from "../../../plugins/types.js";
import { boolish, type MinHealthy, minHealthyReplicas, nonNegativeInt } from "../params.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";

const parameters = z.object({
  grace_period_seconds: nonNegativeInt.default(0),
  ignore_daemonsets: boolish.default(false),
  ignore_statefulsets: boolish.default(false),
  ignore_standalone_pods: boolish.default(false),
  min_healthy_replicas: minHealthyReplicas.optional(),
});
type Params = z.output<typeof parameters>;

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** Ready and desired replicas of the pod's Deployment (or bare ReplicaSet). */
async function replicaCounts(kube: KubeClient, namespace: string, owner: PodOwner, env: PluginEnv) {
  if (owner.kind === "Deployment") {
    const d = await kubeCall(
      `get deployment ${namespace}/${owner.name}`,
      (signal) => kube.apps.readNamespacedDeployment({ name: owner.name, namespace }, requestOptions(signal)),
      callOptions(env),
    );
    return { ready: d.status?.readyReplicas ?? 0, desired: d.spec?.replicas ?? 1 };
  }
  const rs = await kubeCall(
    `get replicaset ${namespace}/${owner.name}`,
    (signal) => kube.apps.readNamespacedReplicaSet({ name: owner.name, namespace }, requestOptions(signal)),
    callOptions(env),
  );
  return { ready: rs.status?.readyReplicas ?? 0, desired: rs.spec?.replicas ?? 1 };
}

/** Why the pod must be spared, or undefined to terminate it. */
async function skipReason(
  kube: KubeClient,
  pod: V1Pod,
  owner: PodOwner,
  p: Params,
  env: PluginEnv,
): Promise<string | undefined> {
  if (owner.kind === "DaemonSet" && p.ignore_daemonsets) return `it belongs to the daemonset '${owner.name}'`;
  if (owner.kind === "StatefulSet" && p.ignore_statefulsets)
    return `it belongs to the statefulset '${owner.name}'`;
  if (owner.kind === "StandalonePod" && p.ignore_standalone_pods) return "it is a standalone pod";
  const min: MinHealthy | undefined = p.min_healthy_replicas;
  if (!min || (owner.kind !== "Deployment" && owner.kind !== "ReplicaSet")) return undefined;
  const { ready, desired } = await replicaCounts(kube, pod.metadata?.namespace ?? "", owner, env);
  // Health as it would be once this pod is gone.
  const after = Math.max(0, ready - (isReady(pod) ? 1 : 0));
  const kind = owner.kind.toLowerCase();
  if (min.kind === "count") {
    if (after < min.value) {
      return `the ${kind} '${owner.name}' would have ${after} healthy replicas, fewer than ${min.value}`;
    }
    return undefined;
  }
  const pct = desired > 0 ? (after * 100) / desired : 0;
  if (pct < min.value) {
    return `the ${kind} '${owner.name}' would have ${Math.floor(pct)}% healthy replicas (${after}/${desired}), less than ${min.value}%`;
  }
  return undefined;
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "terminate",
    description: "Terminate the pod",
    source: "syscall",
    continue: false,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "delete"] },
        { apiGroups: ["apps"], resources: ["replicasets", "deployments"], verbs: ["get"] },
      ],
    },
    example: `- action: Terminate the pod
  actionner: kubernetes:terminate
  parameters:
    ignore_daemonsets: true
    ignore_statefulsets: true
    min_healthy_replicas: 33%
    grace_period_seconds: 5
`,
  },
  parameters,
  checks: checkEventPod,
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    const spared = [
      p.ignore_daemonsets ? "a daemonset's" : "",
      p.ignore_statefulsets ? "a statefulset's" : "",
      p.ignore_standalone_pods ? "a standalone" : "",
    ].filter((s) => s !== "");
    const min = p.min_healthy_replicas;
    const conditions = [
      ...(spared.length > 0 ? [`unless it is ${spared.join(" or ")} pod`] : []),
      ...(min
        ? [
            `unless its workload would keep fewer than ${min.value}${min.kind === "percent" ? "%" : ""} healthy replicas`,
          ]
        : []),
    ];
    return {
      objects: podObjects(ref),
      plan: `delete ${podText(ref)} with a grace period of ${p.grace_period_seconds}s${conditions.length > 0 ? ` (${conditions.join(", ")})` : ""}`,
      details: {
        request: `DELETE pods/${ref.name} in the namespace ${ref.namespace}`,
        grace_period_seconds: p.grace_period_seconds,
        ignore_daemonsets: p.ignore_daemonsets,
        ignore_statefulsets: p.ignore_statefulsets,
        ignore_standalone_pods: p.ignore_standalone_pods,
        ...(min ? { min_healthy_replicas: `${min.value}${min.kind === "percent" ? "%" : ""}` } : {}),
      },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(input, async (ref, objects) => {
      const { parameters: p, env } = input;
      const kube = await env.kube();
      const pod = await eventPod(input);
      const owner = await resolveOwner(kube, pod, callOptions(env));
      const reason = await skipReason(kube, pod, owner, p, env);
      if (reason) {
        return {
          status: "ignored",
          output: `the pod '${ref.name}' in the namespace '${ref.namespace}' has not been terminated: ${reason}`,
          objects,
        };
      }
      await kubeCall(
        `delete pod ${ref.namespace}/${ref.name}`,
        (signal) =>
          kube.core.deleteNamespacedPod(
            {
              name: ref.name,
              namespace: ref.namespace,
              gracePeriodSeconds: p.grace_period_seconds,
              dryRun: dryRunParam(env),
            },
            requestOptions(signal),
          ),
        callOptions(env),
      );
      return {
        status: "success",
        output: `the pod '${ref.name}' in the namespace '${ref.namespace}' has been terminated`,
        objects,
      };
    }),
});
