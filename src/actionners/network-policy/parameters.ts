/** Parameters shared by the network policy actionners (Kubernetes, Calico, Cilium). */
import { stringList } from "../../config/schema.js";
import { cidrProblem, dnsLabelProblem } from "../../kube/names.js";

/** `allow_cidr`: a list (or comma string) of CIDRs; a bad one is `wrong CIDR '<c>': <reason>`. */
export const allowCidr = stringList.superRefine((list, ctx) => {
  for (const c of list) {
    const problem = cidrProblem(c);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `wrong CIDR '${c}': ${problem}` });
  }
});

/** `allow_namespaces`: namespace names (DNS-1123 labels). */
export const allowNamespaces = stringList.superRefine((list, ctx) => {
  for (const n of list) {
    const problem = dnsLabelProblem(n);
    if (problem !== undefined)
      ctx.addIssue({ code: "custom", message: `wrong namespace '${n}': ${problem}` });
  }
});

/** Removes duplicates, keeping the first occurrence's position. */
export function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** What the allow parameters let through, for plans. */
export function allowsText(p: { allow_cidr: string[]; allow_namespaces: string[] }): string {
  const parts = [
    ...(p.allow_cidr.length > 0 ? [`the CIDRs ${unique(p.allow_cidr).join(", ")}`] : []),
    ...(p.allow_namespaces.length > 0 ? [`the namespaces ${unique(p.allow_namespaces).join(", ")}`] : []),
  ];
  return parts.length > 0 ? `allow egress to ${parts.join(" and ")}` : "allow all other egress";
}
