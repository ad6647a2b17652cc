/**
 * The quarantine's names and its NetworkPolicy: the label that marks a quarantined pod, the
 * annotations it gets, and the policy that selects on that label alone.
 */
import { createHash } from "node:crypto";
import type { V1NetworkPolicy, V1NetworkPolicyPeer } from "@kubernetes/client-node";
import { checkNetworkPolicyName, DNS1123_SUBDOMAIN_MAX } from "../../../kube/names.js";
import { unique } from "../../network-policy/parameters.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../network-policy/workload.js";

/** The label the policy selects on; its value ties the pod to one quarantine action. */
export const QUARANTINE_LABEL = "falco-talon/quarantine";
/** The selector labels taken off the pod, as JSON (for people; revert uses its own record). */
export const LABELS_ANNOTATION = "falco-talon/quarantine-labels";
export const RULE_ANNOTATION = "falco-talon/quarantine-rule";
export const TIME_ANNOTATION = "falco-talon/quarantine-time";
export const OUTPUT_ANNOTATION = "falco-talon/quarantine-output";

const RULE_MAX = 512;
const TIME_MAX = 64;
const OUTPUT_MAX = 2048;

export interface PolicyParams {
  allow_dns: boolean;
  allow_cidr: string[];
  allow_namespaces: string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The quarantine label's value: a hash of the pod's uid and the action's id (16 hex characters,
 * a valid label value). Per action rather than per pod, so reverting an old quarantine of the pod
 * twice never takes the label of a newer one off it; the same attempt retried gets the same value.
 */
export function quarantineId(podUid: string, actionId: string): string {
  return sha256(`${podUid}\u0000${actionId}`).slice(0, 16);
}

/**
 * `quarantine-<pod>`; a name too long for a NetworkPolicy is cut and ends with a hash of the
 * pod's name, so two long names never share a policy.
 */
export function quarantinePolicyName(podName: string): string {
  const full = `quarantine-${podName}`;
  if (full.length <= DNS1123_SUBDOMAIN_MAX) return checkNetworkPolicyName(full);
  const suffix = `-${sha256(podName).slice(0, 8)}`;
  // A cut may end on '-' or '.', which can't end a name (or precede the '-').
  const base = full.slice(0, DNS1123_SUBDOMAIN_MAX - suffix.length).replace(/[-.]+$/, "");
  return checkNetworkPolicyName(`${base}${suffix}`);
}

/** `text` cut to `max` characters (whole code points), marked when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 3).join("")}...`;
}

/** The annotations that say why the pod is quarantined (values cut to sane lengths). */
export function eventAnnotations(event: { rule: string; time: string; output: string }, now: Date) {
  return {
    [RULE_ANNOTATION]: truncate(event.rule, RULE_MAX),
    [TIME_ANNOTATION]: truncate(event.time === "" ? now.toISOString() : event.time, TIME_MAX),
    [OUTPUT_ANNOTATION]: truncate(event.output, OUTPUT_MAX),
  };
}

const namespacePeer = (name: string): V1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});

/**
 * The policy: it selects the quarantined pod only (its quarantine label), and denies all its
 * ingress and egress except the allowed peers (both ways) and, with allow_dns, DNS to
 * kube-system.
 */
export function buildQuarantinePolicy(
  namespace: string,
  name: string,
  quarantine: string,
  p: PolicyParams,
): V1NetworkPolicy {
  const peers: V1NetworkPolicyPeer[] = [
    ...unique(p.allow_cidr).map((cidr) => ({ ipBlock: { cidr } })),
    ...unique(p.allow_namespaces).map(namespacePeer),
  ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [QUARANTINE_LABEL]: quarantine },
    },
    spec: {
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: quarantine } },
      policyTypes: ["Ingress", "Egress"],
      // A direction with no rule denies every packet; a rule lets its peers through.
      ingress: peers.length > 0 ? [{ _from: peers }] : [],
      egress: [
        ...(peers.length > 0 ? [{ to: peers }] : []),
        ...(p.allow_dns
          ? [
              {
                to: [namespacePeer("kube-system")],
                ports: [
                  { protocol: "UDP", port: 53 },
                  { protocol: "TCP", port: 53 },
                ],
              },
            ]
          : []),
      ],
    },
  };
}

/** What the policy lets through, for plans and outputs. */
export function policyText(p: PolicyParams): string {
  const allowed = [
    ...(p.allow_dns ? ["DNS to kube-system"] : []),
    ...(p.allow_cidr.length > 0 ? [`the CIDRs ${unique(p.allow_cidr).join(", ")} (both ways)`] : []),
    ...(p.allow_namespaces.length > 0
      ? [`the namespaces ${unique(p.allow_namespaces).join(", ")} (both ways)`]
      : []),
  ];
  return allowed.length > 0
    ? `denying all its ingress and egress except ${allowed.join(", ")}`
    : "denying all its ingress and egress (DNS included)";
}
