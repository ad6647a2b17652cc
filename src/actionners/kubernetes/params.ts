/** Parameter schema pieces shared by the Kubernetes actionners. */
import { z } from "zod";
import { boolish } from "../../config/schema.js";
import {
  annotationKeyProblem,
  annotationsSize,
  dnsLabelProblem,
  invalidMessage,
  labelKeyProblem,
  labelValueProblem,
  quoted,
  TOTAL_ANNOTATION_SIZE_MAX,
} from "../../kube/names.js";

export { boolish };

/** A non-negative integer given as a YAML number or numeric string. */
export const nonNegativeInt = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\s*\d+\s*$/, "expected an integer")
      .transform(Number),
  ])
  .pipe(z.number().int().min(0));

export type MinHealthy = { kind: "count"; value: number } | { kind: "percent"; value: number };

/** `min_healthy_replicas`: `N` (count) or `N%` (0–100). */
export const minHealthyReplicas = z.union([z.number(), z.string()]).transform((raw, ctx): MinHealthy => {
  const s = String(raw).trim();
  const m = /^(\d+)(%)?$/.exec(s);
  if (!m) {
    ctx.addIssue({
      code: "custom",
      message: `wrong value for 'min_healthy_replicas': '${s}' (expected N or N%)`,
    });
    return z.NEVER;
  }
  const value = Number(m[1]);
  if (m[2]) {
    if (value > 100) {
      ctx.addIssue({
        code: "custom",
        message: `wrong value for 'min_healthy_replicas': '${s}' (percentage above 100)`,
      });
      return z.NEVER;
    }
    return { kind: "percent", value };
  }
  return { kind: "count", value };
});

/**
 * A label/annotation map; values may be YAML scalars (booleans, numbers) and are kept as
 * their text. An empty value (or null) means "remove the key".
 */
export const metadataValues = z.record(
  z.string().min(1),
  z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((v) => (v === null ? "" : String(v))),
);

/** A zod refinement from a names.ts rule: `invalid <what> '<value>': <reason>`. */
export function nameRefinement(what: string, rule: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx) => {
    const reason = rule(value);
    if (reason !== undefined) ctx.addIssue({ code: "custom", message: invalidMessage(what, value, reason) });
  };
}

/**
 * `labels`: keys are qualified names (`[prefix/]name`), values empty or label values. A bad key is
 * reported on the map (`invalid label key 'a b': ...`), a bad value on its key.
 */
export const labelMap = metadataValues.superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) {
      ctx.addIssue({ code: "custom", message: invalidMessage("label key", key, keyProblem) });
      continue;
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `invalid label value ${quoted(value)} for the key ${quoted(key)}: ${valueProblem}`,
      });
    }
  }
});

/** `annotations`: keys are qualified names; values are free text within Kubernetes' total size. */
export const annotationMap = metadataValues.superRefine((annotations, ctx) => {
  for (const key of Object.keys(annotations)) {
    const problem = annotationKeyProblem(key);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", message: invalidMessage("annotation key", key, problem) });
    }
  }
  const size = annotationsSize(annotations);
  if (size > TOTAL_ANNOTATION_SIZE_MAX) {
    ctx.addIssue({
      code: "custom",
      message: `the annotations take ${size} bytes, more than Kubernetes' ${TOTAL_ANNOTATION_SIZE_MAX}`,
    });
  }
});

/** A container name parameter (a DNS-1123 label). */
export const containerName = z.string().min(1).superRefine(nameRefinement("container name", dnsLabelProblem));

/** A namespace parameter (a DNS-1123 label). */
export const namespaceName = z.string().min(1).superRefine(nameRefinement("namespace", dnsLabelProblem));
