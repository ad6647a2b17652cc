/**
 * kubernetes:quarantine — takes the event's pod out of service but keeps it running, for
 * forensics: a NetworkPolicy isolates it, its controller and Services lose it, and annotations
 * say why. Reversible: the record of what changed lets a revert put it all back.
 */
import type { V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import {
  callOptions,
  dryRunParam,
  type KubeCallOptions,
  kubeCall,
  kubeErrorMessage,
  requestOptions,
  statusCode,
} from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import type { JsonPatchOp } from "../../../kube/patch.js";
import { getPod, type PodRef, podNodeName, podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner, defineReversible } from "../../../plugins/define.js";
import type { ActionInput, ActionPlan, ActionResult, PluginEnv, PolicyRule } from "../../../plugins/types.js";
import { actionId } from "../../../undo/action.js";
import { allowCidr, allowNamespaces } from "../../network-policy/parameters.js";
import { revertAfter } from "../../revert-after/index.js";
import { boolish } from "../params.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";
import { type Detach, detachKeys } from "./detach.js";
import { type PodChange, quarantineChange, quarantineOps } from "./pod-patch.js";
import {
  buildQuarantinePolicy,
  eventAnnotations,
  LABELS_ANNOTATION,
  OUTPUT_ANNOTATION,
  policyText,
  QUARANTINE_LABEL,
  quarantineId,
  quarantinePolicyName,
  RULE_ANNOTATION,
  TIME_ANNOTATION,
} from "./policy.js";
import { type QuarantineRecord, quarantineRecord } from "./record.js";
import { isStale, PATCH_ATTEMPTS, revertQuarantine } from "./revert.js";

const parameters = z.object({
  allow_dns: boolish.default(false).describe("let the pod resolve names (DNS to kube-system, port 53)"),
  allow_cidr: allowCidr.default([]).describe("CIDRs the pod may still talk with, both ways"),
  allow_namespaces: allowNamespaces
    .default([])
    .describe("namespaces (e.g. a forensics one) the pod may still talk with, both ways"),
  detach: boolish
    .default(true)
    .describe(
      "take off the labels its controller and Services select on (kept in an annotation): a ReplicaSet or DaemonSet starts a replacement (a StatefulSet can't while the pod keeps its name)",
    ),
  cordon: boolish.default(false).describe("also cordon the pod's node"),
  revert_after: revertAfter,
});
type Params = z.output<typeof parameters>;
type Input = ActionInput<Params>;

const POD_RULE: PolicyRule = { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] };
const DETACH_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["services"], verbs: ["list"] },
  { apiGroups: ["apps"], resources: ["replicasets", "statefulsets", "daemonsets"], verbs: ["get"] },
];
const POLICY_RULE: PolicyRule = {
  apiGroups: ["networking.k8s.io"],
  resources: ["networkpolicies"],
  verbs: ["get", "create", "delete"],
};
const NODE_RULE: PolicyRule = { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] };

/**
 * The policy, created before the pod is labelled (until then it selects nothing). A 409 is this
 * same action's policy when it selects this action's quarantine value (a create retried after a
 * lost response, an attempt cut short): it is taken as created; any other is in the way.
 */
async function createPolicy(
  kube: KubeClient,
  env: PluginEnv,
  opts: KubeCallOptions,
  wanted: V1NetworkPolicy,
  quarantine: string,
): Promise<V1NetworkPolicy> {
  const name = wanted.metadata?.name ?? "";
  const namespace = wanted.metadata?.namespace ?? "";
  try {
    return await kubeCall(
      `create networkpolicy ${namespace}/${name}`,
      (s) =>
        kube.networking.createNamespacedNetworkPolicy(
          { namespace, body: wanted, dryRun: dryRunParam(env) },
          requestOptions(s),
        ),
      opts,
    );
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
    const existing = await kubeCall(
      `get networkpolicy ${namespace}/${name}`,
      (s) => kube.networking.readNamespacedNetworkPolicy({ name, namespace }, requestOptions(s)),
      opts,
    );
    const selects = existing.spec?.podSelector?.matchLabels ?? {};
    if (Object.keys(selects).length === 1 && selects[QUARANTINE_LABEL] === quarantine) return existing;
    throw new Error(
      `the NetworkPolicy '${name}' in the namespace '${namespace}' already exists (left by an earlier quarantine of a pod of that name?): revert that quarantine or delete the policy first`,
    );
  }
}

/**
 * The pod's one guarded patch. A pod changed since it was read (422, 409) is read again and the
 * patch rebuilt; finding the pod already carrying this quarantine's value means an earlier try of
 * this same patch went through (a retried request whose response was lost).
 */
async function quarantinePod(
  kube: KubeClient,
  env: PluginEnv,
  opts: KubeCallOptions,
  ref: PodRef,
  first: V1Pod,
  changeOf: (pod: V1Pod) => PodChange,
  quarantine: string,
): Promise<PodChange> {
  const uid = first.metadata?.uid;
  let pod = first;
  let sent: PodChange | undefined;
  for (let attempt = 1; ; attempt++) {
    if (pod.metadata?.uid !== uid) throw new Error(`${podText(ref)} was replaced while being quarantined`);
    const now = pod.metadata?.labels?.[QUARANTINE_LABEL];
    if (now !== undefined) {
      if (sent && now === quarantine) return sent;
      throw new Error(
        `${podText(ref)} was quarantined by another action meanwhile (${QUARANTINE_LABEL}=${now})`,
      );
    }
    const change = changeOf(pod);
    sent = change;
    const body = quarantineOps(pod, change);
    try {
      await kubeCall(
        `patch pod ${ref.namespace}/${ref.name}`,
        (s) =>
          kube.core.patchNamespacedPod(
            { name: ref.name, namespace: ref.namespace, body, dryRun: dryRunParam(env) },
            requestOptions(s),
          ),
        opts,
      );
      return change;
    } catch (err) {
      if (!isStale(err) || attempt >= PATCH_ATTEMPTS) throw err;
      pod = await getPod(kube, ref, opts);
    }
  }
}

/** Cordons the node unless it already is; says whether it did. */
async function cordonNode(
  kube: KubeClient,
  env: PluginEnv,
  opts: KubeCallOptions,
  name: string,
): Promise<NonNullable<QuarantineRecord["node"]>> {
  for (let attempt = 1; ; attempt++) {
    const node = await kubeCall(
      `get node ${name}`,
      (s) => kube.core.readNode({ name }, requestOptions(s)),
      opts,
    );
    const uid = node.metadata?.uid ?? "";
    const before = node.spec?.unschedulable ?? null;
    if (before === true) return { name, uid, cordoned: false, previous_unschedulable: true };
    const body: JsonPatchOp[] = [
      { op: "test", path: "/metadata/uid", value: uid },
      // null passes only while the field is absent (its usual state).
      { op: "test", path: "/spec/unschedulable", value: before },
      { op: "add", path: "/spec/unschedulable", value: true },
    ];
    try {
      await kubeCall(
        `patch node ${name}`,
        (s) => kube.core.patchNode({ name, body, dryRun: dryRunParam(env) }, requestOptions(s)),
        opts,
      );
      return { name, uid, cordoned: true, previous_unschedulable: false };
    } catch (err) {
      if (!isStale(err) || attempt >= PATCH_ATTEMPTS) throw err;
    }
  }
}

const list = (keys: string[]) => keys.map((k) => `'${k}'`).join(", ");

async function quarantine(input: Input, ref: PodRef, objects: Record<string, string>): Promise<ActionResult> {
  const { event, parameters: p, env } = input;
  const kube = await env.kube();
  const opts = callOptions(env);
  const dry = env.dryRun === "server";
  const pod = await eventPod(input);
  const uid = pod.metadata?.uid ?? "";
  if (uid === "") throw new Error(`${podText(ref)} has no uid`);
  const already = pod.metadata?.labels?.[QUARANTINE_LABEL];
  if (already !== undefined) {
    return {
      status: "ignored",
      output: `${podText(ref)} is already quarantined (${QUARANTINE_LABEL}=${already})`,
      objects,
    };
  }
  const value = quarantineId(uid, actionId(event.id, input.rule, input.action));
  const policyName = quarantinePolicyName(ref.name);
  objects.networkpolicy = policyName;
  // Everything is looked up before the first write: a pod that can't be detached or cordoned
  // is left untouched.
  const detach: Detach = p.detach ? await detachKeys(kube, pod, opts) : { keys: [], selectedBy: [] };
  const nodeName = p.cordon ? podNodeName(pod) : "";
  if (p.cordon) {
    if (nodeName === "") throw new Error(`${podText(ref)} is not scheduled on a node: it can't be cordoned`);
    objects.node = nodeName;
  }
  const rec: QuarantineRecord = {
    pod: { namespace: ref.namespace, name: ref.name, uid },
    labels: { removed: {}, added: {} },
    annotations: { added: {}, previous: {} },
  };
  const withUndo = (result: ActionResult): ActionResult => (dry ? result : { ...result, undo: rec });

  const policy = await createPolicy(
    kube,
    env,
    opts,
    buildQuarantinePolicy(ref.namespace, policyName, value, p),
    value,
  );
  if (!dry) {
    rec.policy = {
      name: policyName,
      uid: policy.metadata?.uid ?? "",
      resourceVersion: policy.metadata?.resourceVersion ?? "",
    };
  }

  const now = new Date();
  let change: PodChange;
  try {
    change = await quarantinePod(
      kube,
      env,
      opts,
      ref,
      pod,
      (current) =>
        quarantineChange(current, detach.keys, { [QUARANTINE_LABEL]: value }, (removed) => ({
          ...(Object.keys(removed).length > 0 ? { [LABELS_ANNOTATION]: JSON.stringify(removed) } : {}),
          ...eventAnnotations(event, now),
        })),
      value,
    );
  } catch (err) {
    const error = kubeErrorMessage(err);
    if (dry) throw err;
    // The policy alone isolates nothing: it goes, so that a retry starts from a clean pod.
    const rollback = await revertQuarantine({ undo: rec, env, dryRun: false });
    if (rollback.status === "success") {
      return {
        status: "failure",
        error: `${error} (the NetworkPolicy '${policyName}' was deleted)`,
        objects,
      };
    }
    return withUndo({
      status: "failure",
      error: `${error}; rolling back the NetworkPolicy '${policyName}': ${rollback.error ?? rollback.conflicts.join("; ")}`,
      objects,
    });
  }
  rec.labels = { removed: change.removed, added: change.added };
  rec.annotations = { added: change.annotations, previous: change.previous };

  const removed = Object.keys(change.removed);
  const done = [
    `label ${QUARANTINE_LABEL}=${value} set`,
    ...(removed.length > 0
      ? [`labels ${list(removed)} removed (selected by ${detach.selectedBy.join(", ")})`]
      : []),
    `NetworkPolicy '${policyName}' created`,
  ];
  if (p.cordon) {
    try {
      rec.node = await cordonNode(kube, env, opts, nodeName);
    } catch (err) {
      // The pod's quarantine stands (it matters more than the node's): the record covers it.
      return withUndo({
        status: "failure",
        error: `${podText(ref)} has been quarantined (${done.join(", ")}) but its node '${nodeName}' could not be cordoned: ${kubeErrorMessage(err)}`,
        objects,
      });
    }
    done.push(rec.node.cordoned ? `node '${nodeName}' cordoned` : `node '${nodeName}' already cordoned`);
  }
  return withUndo({
    status: "success",
    output: `${podText(ref)} has been quarantined: ${done.join(", ")}`,
    objects,
  });
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "quarantine",
    description:
      "Quarantine the pod but keep it running for forensics: a NetworkPolicy denies its ingress and egress, its controller and Services lose it (the controller starts a replacement) and annotations say why. A revert gives its labels back: its ReplicaSet adopts it again and scales down by one",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: { kubernetes: [POD_RULE, ...DETACH_RULES, POLICY_RULE, NODE_RULE] },
    example: `- action: Quarantine the pod
  actionner: kubernetes:quarantine
  parameters:
    allow_dns: true
    allow_namespaces:
      - forensics
    cordon: false
    revert_after: 2h
`,
  },
  parameters,
  kubernetesPermissions: (p) => [
    POD_RULE,
    ...(p.detach ? DETACH_RULES : []),
    POLICY_RULE,
    ...(p.cordon ? [NODE_RULE] : []),
  ],
  nodeLevel: (p) => p.cordon,
  checks: checkEventPod,
  plan({ event, parameters: p }): ActionPlan {
    const ref = podRefFromEvent(event);
    const policyName = quarantinePolicyName(ref.name);
    const steps = [
      `label it ${QUARANTINE_LABEL}=<a hash of its uid>`,
      ...(p.detach
        ? [
            `remove the labels its controller and Services select on (kept in the annotation ${LABELS_ANNOTATION})`,
          ]
        : []),
      `create the NetworkPolicy '${policyName}' ${policyText(p)}`,
      "annotate it with the rule, time and output of the event",
      ...(p.cordon ? ["cordon its node"] : []),
    ];
    return {
      objects: { ...podObjects(ref), networkpolicy: policyName },
      plan: `quarantine ${podText(ref)}: ${steps.join(", ")}`,
      details: {
        label: QUARANTINE_LABEL,
        detach: p.detach,
        annotations: [
          ...(p.detach ? [LABELS_ANNOTATION] : []),
          RULE_ANNOTATION,
          TIME_ANNOTATION,
          OUTPUT_ANNOTATION,
        ],
        policy: asWritten(buildQuarantinePolicy(ref.namespace, policyName, "<quarantine id>", p)),
        cordon: p.cordon,
      },
    };
  },
  run: (input): Promise<ActionResult> => runOnPod(input, (ref, objects) => quarantine(input, ref, objects)),
  reversible: defineReversible({ record: quarantineRecord, revert: revertQuarantine }),
});

/**
 * The policy as the API server receives it, for the plan: the typed client names an ingress
 * rule's `from` `_from`, which a reader of the plan would not recognise.
 */
function asWritten(policy: V1NetworkPolicy): Record<string, unknown> {
  const { ingress, ...spec } = policy.spec ?? { podSelector: {} };
  return {
    ...policy,
    spec: {
      ...spec,
      ...(ingress
        ? { ingress: ingress.map(({ _from, ...rule }) => ({ ...(_from ? { from: _from } : {}), ...rule })) }
        : {}),
    },
  };
}
