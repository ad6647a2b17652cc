/** kubernetes:cordon — marks the event pod's node unschedulable (talon.md §4.11). */
import { z } from "zod";
import { callOptions, dryRunParam, kubeCall, kubeErrorMessage, requestOptions } from "../../../kube/call.js";
import { getPodNode, podRefFromEvent } from "../../../kube/pods.js";
import type { Actionner, ActionPlan, ActionResult } from "../../../plugins/types.js";
import { eventPod, isResult, podText, runPodRef } from "../pod.js";

const parameters = z.object({});

const cordon: Actionner<typeof parameters> = {
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
  async checks(input) {
    await eventPod(input);
  },
  plan({ event }): ActionPlan {
    const ref = podRefFromEvent(event);
    return {
      objects: { pod: ref.name, namespace: ref.namespace },
      plan: `cordon the node of ${podText(ref)} (mark it unschedulable)`,
      details: { patch: [{ op: "add", path: "/spec/unschedulable", value: true }] },
    };
  },
  async run(input): Promise<ActionResult> {
    const { env } = input;
    const ref = runPodRef(input);
    if (isResult(ref)) return ref;
    const kube = env.kube();
    let nodeName = "";
    try {
      const pod = await eventPod(input);
      const node = await getPodNode(kube, pod, callOptions(env));
      nodeName = node.metadata?.name ?? "";
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
    } catch (err) {
      return { status: "failure", error: kubeErrorMessage(err), objects: nodeName ? { node: nodeName } : {} };
    }
  },
};

export default cordon;
