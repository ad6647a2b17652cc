/**
 * k8snode — facts about the node the event's pod runs on, for `additional_contexts`:
 * hostname, instance type, role, topology region and zone, provider id.
 */
import { callOptions } from "../../kube/call.js";
import { getPod, getPodNode, podRefFromEvent } from "../../kube/pods.js";
import { defineContext } from "../../plugins/define.js";

/** Context key → node label it is read from. */
const NODE_LABELS: Record<string, string> = {
  "node.hostname": "kubernetes.io/hostname",
  "node.instancetype": "node.kubernetes.io/instance-type",
  "node.role": "kubernetes.io/role",
  "node.topology.region": "topology.kubernetes.io/region",
  "node.topology.zone": "topology.kubernetes.io/zone",
};

export default defineContext({
  info: {
    name: "k8snode",
    description: "Labels and provider id of the node the pod runs on",
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
      ],
    },
  },
  async fetch(event, env) {
    const kube = await env.kube();
    const pod = await getPod(kube, podRefFromEvent(event), callOptions(env));
    const node = await getPodNode(kube, pod, callOptions(env));
    const labels = node.metadata?.labels ?? {};
    const out: Record<string, string> = {};
    for (const [key, label] of Object.entries(NODE_LABELS)) {
      const v = labels[label];
      if (v) out[key] = v;
    }
    if (node.spec?.providerID) out["node.spec.providerid"] = node.spec.providerID;
    return out;
  },
});
