/** kubernetes:cordon — marks the event pod's node unschedulable; reversible (uncordon). */
import type { V1Node } from "@kubernetes/client-node";
import { z } from "zod";
import { callOptions, dryRunParam, kubeErrorMessage } from "../../../kube/call.js";
import type { KubeClient } from "../../../kube/client.js";
import type { JsonPatchOp } from "../../../kube/patch.js";
import { getPodNode, podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner, defineReversible } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult, PluginEnv, RevertResult } from "../../../plugins/types.js";
import { revertFailure } from "../../revert-after/failure.js";
import { revertAfter } from "../../revert-after/index.js";
import {
  GUARDED_ATTEMPTS,
  isGuardFailure,
  missingTarget,
  nodeTarget,
  patchTarget,
  readTarget,
  targetObjects,
  uidGuard,
} from "../metadata.js";
import { checkEventPod, eventPod, podObjects, podText, runOnPod } from "../pod.js";

const parameters = z.object({ revert_after: revertAfter });

/**
 * What a cordon changed: the node, and its spec.unschedulable before (false, or null when
 * absent). Only kept when the node was schedulable: cordoning a cordoned node changes nothing.
 */
const record = z.object({ target: nodeTarget, previous_unschedulable: z.literal(false).nullable() });

/** `/spec/unschedulable` from what was read (null: absent) to `value` (null: removed), guarded by a test. */
function unschedulablePatch(uid: string, from: boolean | null, value: boolean | null): JsonPatchOp[] {
  const path = "/spec/unschedulable";
  return [
    uidGuard(uid),
    // A test with a null value passes only while the field is absent.
    { op: "test", path, value: from },
    value === null ? { op: "remove", path } : { op: "add", path, value },
  ];
}

/** The node's spec.unschedulable as read: null when absent. */
function unschedulable(node: V1Node): boolean | null {
  return node.spec?.unschedulable ?? null;
}

/**
 * Cordons the node with a patch guarded by its value as read, re-reading the node when it
 * changed in between; returns the undo record, or undefined when the node was already cordoned.
 */
async function cordon(
  kube: KubeClient,
  env: PluginEnv,
  first: V1Node,
  reread: () => Promise<V1Node>,
): Promise<z.output<typeof record> | undefined> {
  let node = first;
  for (let attempt = 1; ; attempt++) {
    const name = node.metadata?.name ?? "";
    const uid = node.metadata?.uid ?? "";
    const before = unschedulable(node);
    if (before === true) return undefined;
    const target = { kind: "node" as const, name, uid };
    try {
      await patchTarget(kube, target, unschedulablePatch(uid, before, true), env, dryRunParam(env));
      return { target, previous_unschedulable: before };
    } catch (err) {
      if (!isGuardFailure(err)) throw err;
      if (attempt >= GUARDED_ATTEMPTS) {
        throw new Error(
          `can't cordon the node '${name}' (${attempt} attempts, it kept changing): ${kubeErrorMessage(err)}`,
        );
      }
    }
    node = await reread();
  }
}

export default defineActionner({
  info: {
    category: "kubernetes",
    name: "cordon",
    description: "Cordon the node the pod runs on",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
      ],
    },
    example: `- action: Cordon the node
  actionner: kubernetes:cordon
  parameters:
    revert_after: 1h
`,
  },
  parameters,
  nodeLevel: () => true,
  checks: checkEventPod,
  plan({ event }): ActionPlan {
    const ref = podRefFromEvent(event);
    return {
      objects: podObjects(ref),
      plan: `cordon the node of ${podText(ref)} (mark it unschedulable)`,
      details: { patch: [{ op: "add", path: "/spec/unschedulable", value: true }] },
    };
  },
  run: (input): Promise<ActionResult> =>
    runOnPod(
      input,
      async (_ref, objects) => {
        const { env } = input;
        const kube = await env.kube();
        const pod = await eventPod(input);
        const node = await getPodNode(kube, pod, callOptions(env));
        const nodeName = node.metadata?.name ?? "";
        if (nodeName !== "") objects.node = nodeName;
        const undo = await cordon(kube, env, node, () => getPodNode(kube, pod, callOptions(env)));
        return {
          status: "success",
          output: `the node '${nodeName}' has been cordoned`,
          objects: { node: nodeName },
          // Nothing changes under a server dry run: nothing to undo.
          ...(undo && env.dryRun !== "server" ? { undo } : {}),
        };
      },
      () => ({}),
    ),
  reversible: defineReversible({
    record,
    async revert({ undo, env, dryRun }): Promise<RevertResult> {
      const t = undo.target;
      const objects = targetObjects(t);
      const node = `the node '${t.name}'`;
      const result = (reverted: string[], unchanged: string[]): RevertResult => ({
        status: "success",
        reverted,
        unchanged,
        conflicts: [],
        objects,
      });
      try {
        const kube = await env.kube();
        for (let attempt = 1; ; attempt++) {
          const now = await readTarget(kube, t, env);
          if (now === undefined || now.metadata?.uid !== t.uid) return missingTarget(t, now);
          const before = undo.previous_unschedulable;
          const state = unschedulable(now as V1Node);
          if (state !== true) return result([], [`${node} is already schedulable`]);
          if (dryRun) {
            const how =
              before === null ? "remove spec.unschedulable" : "set spec.unschedulable back to false";
            return result([`would uncordon ${node} (${how})`], []);
          }
          try {
            await patchTarget(kube, t, unschedulablePatch(t.uid, state, before), env);
            const how =
              before === null ? "spec.unschedulable removed" : "spec.unschedulable set back to false";
            return result([`${node} uncordoned (${how})`], []);
          } catch (err) {
            if (!isGuardFailure(err) || attempt >= GUARDED_ATTEMPTS) {
              throw new Error(`can't uncordon ${node} (attempt ${attempt}): ${kubeErrorMessage(err)}`);
            }
          }
        }
      } catch (err) {
        return revertFailure(err, objects);
      }
    },
  }),
});
