/**
 * cilium:networkpolicy — a cilium.io/v2 CiliumNetworkPolicy for the event pod's workload
 * that denies egress to the event's remote IP and allows the rest (talon.md §4.14). Each
 * run adds the new IP to the existing denies (deduplicated, never duplicated rules) and
 * rewrites the allows.
 */
import { z } from "zod";
import { callOptions, dryRunParam, kubeErrorMessage } from "../../../kube/call.js";
import { getPod, podRefFromEvent } from "../../../kube/pods.js";
import type { Actionner, ActionResult } from "../../../plugins/types.js";
import {
  allowCidr,
  allowNamespaces,
  podWorkload,
  policyLabels,
  remoteIp,
  unique,
  upsertPolicyObject,
  type Workload,
} from "../../kubernetes/networkpolicy/common.js";

const parameters = z.object({
  allow_cidr: allowCidr.default([]),
  allow_namespaces: allowNamespaces.default([]),
});
type Params = z.output<typeof parameters>;

export interface CiliumSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface CiliumEgressRule {
  toCIDR?: string[];
  toEndpoints?: CiliumSelector[];
  toEntities?: string[];
}

export interface CiliumPolicySpec {
  description?: string;
  endpointSelector?: CiliumSelector;
  egressDeny?: CiliumEgressRule[];
  egress?: CiliumEgressRule[];
}

const API_VERSION = "cilium.io/v2";
const KIND = "CiliumNetworkPolicy";
/** The label Cilium gives every endpoint with its namespace. */
export const CILIUM_NAMESPACE_KEY = "k8s:io.kubernetes.pod.namespace";

/** The allow rules for the parameters. */
export function ciliumAllows(p: Params): CiliumEgressRule[] {
  const cidrs = unique(p.allow_cidr);
  const namespaces = unique(p.allow_namespaces);
  // toCIDR 0.0.0.0/0 only covers the "world" entity in Cilium: in-cluster peers (DNS
  // included) would be cut off. `all` keeps them; egressDeny still wins over it.
  if (cidrs.length === 0 && namespaces.length === 0) return [{ toEntities: ["all"] }];
  const rules: CiliumEgressRule[] = [];
  if (cidrs.length > 0) rules.push({ toCIDR: cidrs });
  if (namespaces.length > 0) {
    rules.push({
      toEndpoints: [
        { matchExpressions: [{ key: CILIUM_NAMESPACE_KEY, operator: "In", values: namespaces }] },
      ],
    });
  }
  return rules;
}

/** The wanted spec: one egressDeny rule (old denies plus `denyCidr`), then the allows. */
export function buildCiliumSpec(
  w: Workload,
  p: Params,
  denyCidr: string,
  current?: CiliumPolicySpec,
): CiliumPolicySpec {
  const denies = unique([...(current?.egressDeny ?? []).flatMap((r) => r.toCIDR ?? []), denyCidr]);
  return {
    description: "Network policy created by Falco Talon",
    endpointSelector: { matchLabels: w.selector },
    egressDeny: [{ toCIDR: denies }],
    egress: ciliumAllows(p),
  };
}

const cilium: Actionner<typeof parameters> = {
  info: {
    category: "cilium",
    name: "networkpolicy",
    description:
      "Deny the egress traffic of the pod's workload to the event's remote IP with a CiliumNetworkPolicy",
    source: "syscall",
    continue: true,
    useContext: false,
    allowOutput: false,
    requireOutput: false,
    requiredOutputFields: ["k8s.ns.name", "k8s.pod.name", "fd.rip|fd.sip"],
    permissions: {
      kubernetes: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        {
          apiGroups: ["apps"],
          resources: ["replicasets", "deployments", "daemonsets", "statefulsets"],
          verbs: ["get"],
        },
        {
          apiGroups: ["cilium.io"],
          resources: ["ciliumnetworkpolicies"],
          verbs: ["get", "create", "update"],
        },
      ],
    },
    example: `- action: Block the remote IP
  actionner: cilium:networkpolicy
  parameters:
    allow_cidr:
      - "192.168.1.0/24"
    allow_namespaces:
      - "green-ns"
`,
  },
  parameters,
  async checks({ event, env }) {
    await getPod(env.kube(), podRefFromEvent(event), callOptions(env));
    remoteIp(event);
  },
  async run({ event, parameters: p, env }): Promise<ActionResult> {
    const ref = podRefFromEvent(event);
    const objects: Record<string, string> = { pod: ref.name, namespace: ref.namespace };
    const kube = env.kube();
    const opts = callOptions(env);
    const dryRun = dryRunParam(env);
    try {
      const { cidr } = remoteIp(event);
      const pod = await getPod(kube, ref, opts);
      const workload = await podWorkload(kube, pod, opts);
      const name = workload.name;
      const namespace = ref.namespace;
      objects.ciliumnetworkpolicy = name;
      const header = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace } };
      const what = `ciliumnetworkpolicy ${namespace}/${name}`;
      const outcome = await upsertPolicyObject<CiliumPolicySpec>({
        kube,
        header,
        labels: policyLabels(workload),
        buildSpec: (current) => buildCiliumSpec(workload, p, cidr, current),
        dryRun,
        opts,
        what,
      });
      return {
        status: "success",
        output: `the ciliumnetworkpolicy '${name}' in the namespace '${namespace}' has been ${outcome}`,
        objects,
      };
    } catch (err) {
      return { status: "failure", error: kubeErrorMessage(err), objects };
    }
  },
};

export default cilium;
