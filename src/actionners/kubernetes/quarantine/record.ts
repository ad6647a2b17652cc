/**
 * The quarantine's undo record: exactly what one run changed. A record read back from the audit
 * trail is checked against this schema, names included: a revert never sends a request built
 * from a value Kubernetes would not accept as a name.
 */
import { z } from "zod";
import {
  annotationKeyProblem,
  dnsLabelProblem,
  dnsSubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
  quoted,
} from "../../../kube/names.js";
import { nameRefinement } from "../params.js";

const named = (what: string, rule: (v: string) => string | undefined) =>
  z.string().superRefine(nameRefinement(what, rule));

const labels = z.record(named("label key", labelKeyProblem), z.string()).superRefine((map, ctx) => {
  for (const [key, value] of Object.entries(map)) {
    const problem = labelValueProblem(value);
    if (problem !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `invalid label value ${quoted(value)} for the key ${quoted(key)}: ${problem}`,
      });
    }
  }
});

const annotations = z.record(named("annotation key", annotationKeyProblem), z.string());

export const quarantineRecord = z.object({
  pod: z.object({
    namespace: named("namespace", dnsLabelProblem),
    name: named("pod name", dnsSubdomainProblem),
    uid: z.string().min(1),
  }),
  labels: z.object({
    /** Selector labels taken off the pod, with their values. */
    removed: labels,
    /** The quarantine label set. */
    added: labels,
  }),
  annotations: z.object({
    /** Annotations set, with the values written. */
    added: annotations,
    /** The values some of those keys had before (usually none). */
    previous: annotations.default({}),
  }),
  /** The policy the run created. */
  policy: z
    .object({
      name: named("networkpolicy name", dnsSubdomainProblem),
      uid: z.string().min(1),
      resourceVersion: z.string().min(1),
    })
    .optional(),
  /** Set when the action was asked to cordon the node; `cordoned` is whether this run did it. */
  node: z
    .object({
      name: named("node name", dnsSubdomainProblem),
      uid: z.string().min(1),
      cordoned: z.boolean(),
      previous_unschedulable: z.boolean(),
    })
    .optional(),
});

export type QuarantineRecord = z.output<typeof quarantineRecord>;
