/**
 * `revert_after`, the parameter every reversible actionner takes: a duration after which the
 * engine reverts the action by itself (`30m`, `2h`, `1h30m`, `90s`, `7d`). Parsed to
 * milliseconds when the rules load, so a typo such as `30 min` is a rules error, not an action
 * that never expires.
 */
import { z } from "zod";

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
/** The longest expiry: a pending revert further out than this is almost certainly a typo. */
export const MAX_REVERT_AFTER_MS = 90 * UNIT_MS.d!;

/** `1h30m` → 5,400,000; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?[dhms])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return Math.round(ms);
}

/** The `revert_after` parameter: optional; milliseconds once parsed. */
export const revertAfter = z
  .string({ error: "parameter 'revert_after' should be a duration such as 30m, 2h or 1h30m" })
  .transform((text, ctx) => {
    const ms = parseDuration(text.trim());
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `parameter 'revert_after' '${text}' is not a duration: use a number and a unit (s, m, h, d), e.g. 30m, 2h, 1h30m`,
      });
      return z.NEVER;
    }
    if (ms < 1000 || ms > MAX_REVERT_AFTER_MS) {
      ctx.addIssue({
        code: "custom",
        message: `parameter 'revert_after' '${text}' is out of range: between 1s and 90d`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .optional()
  .describe(
    "revert the action by itself after this long (30m, 2h, 1h30m; 1s to 90d); see `falco-talon actions list` and `falco-talon revert`",
  );

/** The revert_after of parsed parameters, when the action has one. */
export function revertAfterMs(parameters: unknown): number | undefined {
  if (typeof parameters !== "object" || parameters === null) return undefined;
  const v = (parameters as { revert_after?: unknown }).revert_after;
  return typeof v === "number" ? v : undefined;
}
