/** Parameter schema pieces shared by the Kubernetes actionners. */
import { z } from "zod";
import { boolish } from "../config/schema.js";

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
