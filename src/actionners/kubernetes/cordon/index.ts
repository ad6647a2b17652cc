/** kubernetes:cordon — marks the event pod's node unschedulable. */
import { z } from "zod";
import { callOptions, dryRunParam, kubeCall, requestOptions } from "../../../kube/call.js";
import { podRefFromEvent } from "../../../kube/pods.js";
import { defineActionner } from "../../../plugins/define.js";
import type { ActionPlan, ActionResult } from "../../../plugins/types.js";
import { checkEventPod, podObjects, podText, runOnPodNode } from "../pod.js";

const parameters = z.object({});

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
    runOnPodNode(input, async (nodeName) => {
      const { env } = input;
      const kube = await env.kube();
      // `add` rather than Talon's `replace`: spec.unschedulable is absent on a fresh node.
      const body = [{ op: "add", path: "/spec/unschedulable", value: true }];
      await kubeCall(
        `patch node ${nodeName}`,
        (signal) =>
          kube.core.patchNode({ name: nodeName, body, dryRun: dryRunParam(env) }, requestOptions(signal)),
        callOptions(env),
      );
      return {
        status: "success",
        output: `the node '${nodeName}' has been cordoned`,
        objects: { node: nodeName },
      };
    }),
});
