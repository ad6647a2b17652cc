/** kubernetes:delete — deletes the resource named by a k8s_audit event. */
import { z } from "zod";
import type { FalcoEvent } from "../../../events/event.js";
import { getTargetName, getTargetNamespace, getTargetResource } from "../../../events/fields.js";
import {
  callOptions,
  dryRunParam,
  isNotFound,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
} from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import { checkNamespace, checkResource, checkResourceName } from "../../../kube/names.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult, PluginEnv, PolicyRule } from "../../../plugins/types.js";
import { eventFailure, failureOnThrow } from "../pod.js";

const parameters = z.object({});

interface Target {
  resource: string;
  name: string;
  namespace: string;
}

interface Handler {
  group: string;
  clusterScoped?: boolean;
  get(kube: KubeClient, t: Target, signal: AbortSignal): Promise<unknown>;
  del(kube: KubeClient, t: Target, dryRun: string | undefined, signal: AbortSignal): Promise<unknown>;
}

const o = requestOptions;
/** The managed resources (Talon's list plus pods), by `ka.target.resource`. */
const handlers: Record<string, Handler> = {
  namespaces: {
    group: "",
    clusterScoped: true,
    get: (k, t, s) => k.core.readNamespace({ name: t.name }, o(s)),
    del: (k, t, dryRun, s) => k.core.deleteNamespace({ name: t.name, dryRun }, o(s)),
  },
  clusterroles: {
    group: "rbac.authorization.k8s.io",
    clusterScoped: true,
    get: (k, t, s) => k.rbac.readClusterRole({ name: t.name }, o(s)),
    del: (k, t, dryRun, s) => k.rbac.deleteClusterRole({ name: t.name, dryRun }, o(s)),
  },
  roles: {
    group: "rbac.authorization.k8s.io",
    get: (k, t, s) => k.rbac.readNamespacedRole({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.rbac.deleteNamespacedRole({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  configmaps: {
    group: "",
    get: (k, t, s) => k.core.readNamespacedConfigMap({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.core.deleteNamespacedConfigMap({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  secrets: {
    group: "",
    get: (k, t, s) => k.core.readNamespacedSecret({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.core.deleteNamespacedSecret({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  services: {
    group: "",
    get: (k, t, s) => k.core.readNamespacedService({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.core.deleteNamespacedService({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  serviceaccounts: {
    group: "",
    get: (k, t, s) => k.core.readNamespacedServiceAccount({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.core.deleteNamespacedServiceAccount({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  pods: {
    group: "",
    get: (k, t, s) => k.core.readNamespacedPod({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.core.deleteNamespacedPod({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  deployments: {
    group: "apps",
    get: (k, t, s) => k.apps.readNamespacedDeployment({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.apps.deleteNamespacedDeployment({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  daemonsets: {
    group: "apps",
    get: (k, t, s) => k.apps.readNamespacedDaemonSet({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.apps.deleteNamespacedDaemonSet({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  statefulsets: {
    group: "apps",
    get: (k, t, s) => k.apps.readNamespacedStatefulSet({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.apps.deleteNamespacedStatefulSet({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
  replicasets: {
    group: "apps",
    get: (k, t, s) => k.apps.readNamespacedReplicaSet({ name: t.name, namespace: t.namespace }, o(s)),
    del: (k, t, dryRun, s) =>
      k.apps.deleteNamespacedReplicaSet({ name: t.name, namespace: t.namespace, dryRun }, o(s)),
  },
};

const NOT_MANAGED = "the resource doesn't exist or its type is not yet managed";

/**
 * The event's target, validated before any request: the resource must be a plain plural and a
 * managed one, the name must follow that resource's own naming rule and the namespace must be a
 * DNS-1123 label (an InvalidNameError otherwise).
 */
function targetFromEvent(event: FalcoEvent): { target: Target; handler: Handler } {
  const resource = getTargetResource(event);
  if (resource === "") throw new Error("missing resource");
  const name = getTargetName(event);
  if (name === "") throw new Error("missing name");
  checkResource(resource, "ka.target.resource");
  const handler = Object.hasOwn(handlers, resource) ? handlers[resource] : undefined;
  if (!handler) throw new Error(NOT_MANAGED);
  checkResourceName(resource, name, "ka.target.name");
  const namespace = handler.clusterScoped ? "" : getTargetNamespace(event);
  if (!handler.clusterScoped && namespace === "") throw new Error("missing namespace");
  if (!handler.clusterScoped) checkNamespace(namespace, "ka.target.namespace");
  return { target: { resource, name, namespace }, handler };
}

function objectsOf(t: Target): Record<string, string> {
  return { name: t.name, resource: t.resource, namespace: t.namespace };
}

async function getTarget(kube: KubeClient, t: Target, h: Handler, env: PluginEnv): Promise<void> {
  try {
    await kubeCall(`get ${t.resource} ${t.namespace}/${t.name}`, (s) => h.get(kube, t, s), callOptions(env));
  } catch (err) {
    if (isNotFound(err)) throw new Error(NOT_MANAGED);
    throw new Error(`can't get the ${t.resource} '${t.name}': ${kubeErrorMessage(err)}`);
  }
}

function permissions(): PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const [resource, h] of Object.entries(handlers))
    byGroup.set(h.group, [...(byGroup.get(h.group) ?? []), resource]);
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    resources,
    verbs: ["get", "delete"],
  }));
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "delete",
    description: "Delete the resource targeted by a k8s_audit event",
    source: "k8s_audit",
    continue: false,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["ka.target.resource", "ka.target.name", "ka.target.namespace"],
    permissions: { kubernetes: permissions() },
    example: `- action: Delete the resource
  actionner: kubernetes:delete
`,
  },
  parameters,
  async checks({ event, env }) {
    const { target, handler } = targetFromEvent(event);
    await getTarget(await env.kube(), target, handler, env);
  },
  plan({ event }): ActionPlan {
    const { target: t } = targetFromEvent(event);
    const kind = t.resource.replace(/s$/, "");
    return {
      objects: objectsOf(t),
      plan: t.namespace
        ? `delete the ${kind} '${t.name}' in the namespace '${t.namespace}'`
        : `delete the ${kind} '${t.name}'`,
      details: { resource: t.resource, name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}) },
    };
  },
  async run({ event, env }): Promise<ActionResult> {
    let resolved: ReturnType<typeof targetFromEvent>;
    try {
      resolved = targetFromEvent(event);
    } catch (err) {
      return eventFailure(err);
    }
    const { target: t, handler } = resolved;
    return failureOnThrow(objectsOf(t), async (objects) => {
      const kube = await env.kube();
      await getTarget(kube, t, handler, env);
      await kubeCall(
        `delete ${t.resource} ${t.namespace}/${t.name}`,
        (s) => handler.del(kube, t, dryRunParam(env), s),
        callOptions(env),
      );
      const kind = t.resource.replace(/s$/, "");
      const output = t.namespace
        ? `the ${kind} '${t.name}' in the namespace '${t.namespace}' has been deleted`
        : `the ${kind} '${t.name}' has been deleted`;
      return { status: "success", output, objects };
    });
  },
});
