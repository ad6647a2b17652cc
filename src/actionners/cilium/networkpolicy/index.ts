/**
 * cilium:networkpolicy — a cilium.io/v2 CiliumNetworkPolicy for the event pod's workload
 * that denies egress to the event's remote IP and allows the rest. Each
 * run adds the new IP to the existing denies (deduplicated, never duplicated rules) and
 * rewrites the allows. Reversible (network-policy/revert.ts).
 */
import { z } from "zod";
import { defineActionner } from "../../../plugins/define.js";
import { allowCidr, allowNamespaces, unique } from "../../network-policy/parameters.js";
import { remoteIpPolicyActionner } from "../../network-policy/remote-ip.js";
import { customPolicyReversible } from "../../network-policy/revert.js";
import type { Workload } from "../../network-policy/workload.js";
import { revertAfter } from "../../revert-after/index.js";

const parameters = z.object({
  allow_cidr: allowCidr.default([]),
  allow_namespaces: allowNamespaces.default([]),
  revert_after: revertAfter,
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

export default defineActionner({
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
          // delete and update: a revert deletes the policy the action created or restores the one it replaced.
          verbs: ["get", "create", "update", "delete"],
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
  reversible: customPolicyReversible({
    apiVersion: API_VERSION,
    kind: KIND,
    objectKey: "ciliumnetworkpolicy",
  }),
  ...remoteIpPolicyActionner<z.output<typeof parameters>, CiliumPolicySpec>({
    apiVersion: API_VERSION,
    kind: KIND,
    objectKey: "ciliumnetworkpolicy",
    buildSpec: buildCiliumSpec,
  }),
});
