/**
 * calico:networkpolicy — a projectcalico.org/v3 NetworkPolicy for the event pod's workload
 * that denies egress to the event's remote IP and allows the rest. Each
 * run adds the new IP to the existing denies (deduplicated) and rewrites the allows. Reversible
 * (network-policy/revert.ts).
 */
import { z } from "zod";
import { defineActionner } from "../../../plugins/define.js";
import { nonNegativeInt } from "../../kubernetes/params.js";
import { allowCidr, allowNamespaces, unique } from "../../network-policy/parameters.js";
import { remoteIpPolicyActionner } from "../../network-policy/remote-ip.js";
import { customPolicyReversible } from "../../network-policy/revert.js";
import type { Workload } from "../../network-policy/workload.js";
import { revertAfter } from "../../revert-after/index.js";

const parameters = z.object({
  allow_cidr: allowCidr.default([]),
  allow_namespaces: allowNamespaces.default([]),
  order: nonNegativeInt.default(0),
  revert_after: revertAfter,
});
type Params = z.output<typeof parameters>;

export interface CalicoRule {
  action: string;
  destination?: { nets?: string[]; namespaceSelector?: string };
}

export interface CalicoPolicySpec {
  order?: number;
  selector?: string;
  types?: string[];
  egress?: CalicoRule[];
}

const API_VERSION = "projectcalico.org/v3";
const KIND = "NetworkPolicy";

/** Calico selector text for exact label matches, keys sorted: `a == "x" && b == "y"`. */
export function calicoSelector(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k} == "${labels[k]}"`)
    .join(" && ");
}

/** Calico's namespace selector by name (Calico labels every namespace with `projectcalico.org/name`). */
export function namespaceSelector(namespaces: string[]): string {
  return `projectcalico.org/name in {${namespaces.map((n) => `'${n}'`).join(", ")}}`;
}

/** The deny nets already in a policy, in order, deduplicated. */
export function existingDenies(spec: CalicoPolicySpec | undefined): string[] {
  return unique(
    (spec?.egress ?? []).filter((r) => r.action === "Deny").flatMap((r) => r.destination?.nets ?? []),
  );
}

/** The wanted spec: one Deny rule (old denies plus `denyCidr`), then the allows. */
export function buildCalicoSpec(
  w: Workload,
  p: Params,
  denyCidr: string,
  current?: CalicoPolicySpec,
): CalicoPolicySpec {
  const allows: CalicoRule[] = [];
  const cidrs = unique(p.allow_cidr);
  const namespaces = unique(p.allow_namespaces);
  if (cidrs.length === 0 && namespaces.length === 0) {
    // Everything else, both families (the deny may be IPv6).
    allows.push({ action: "Allow", destination: { nets: ["0.0.0.0/0"] } });
    allows.push({ action: "Allow", destination: { nets: ["::/0"] } });
  }
  if (cidrs.length > 0) allows.push({ action: "Allow", destination: { nets: cidrs } });
  if (namespaces.length > 0) {
    allows.push({ action: "Allow", destination: { namespaceSelector: namespaceSelector(namespaces) } });
  }
  return {
    order: p.order,
    selector: calicoSelector(w.selector),
    types: ["Egress"],
    egress: [
      { action: "Deny", destination: { nets: unique([...existingDenies(current), denyCidr]) } },
      ...allows,
    ],
  };
}

export default defineActionner({
  info: {
    category: "calico",
    name: "networkpolicy",
    description:
      "Deny the egress traffic of the pod's workload to the event's remote IP with a Calico NetworkPolicy",
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
          apiGroups: ["projectcalico.org"],
          resources: ["networkpolicies"],
          // delete and update: a revert deletes the policy the action created or restores the one it replaced.
          verbs: ["get", "create", "update", "delete"],
        },
      ],
    },
    example: `- action: Block the remote IP
  actionner: calico:networkpolicy
  parameters:
    order: 20
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
    objectKey: "caliconetworkpolicy",
  }),
  ...remoteIpPolicyActionner<z.output<typeof parameters>, CalicoPolicySpec>({
    apiVersion: API_VERSION,
    kind: KIND,
    objectKey: "caliconetworkpolicy",
    buildSpec: buildCalicoSpec,
  }),
});
