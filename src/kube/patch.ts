/** JSON Patch (RFC 6902) helpers for metadata maps. */

export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "test";
  path: string;
  value?: unknown;
}

/** RFC 6901 pointer token: `~` → `~0`, then `/` → `~1`. */
export function escapePointerToken(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * One patch that sets non-empty values (`add` creates or replaces) and removes keys whose
 * value is empty, for `/metadata/<field>`. Removing an absent key is skipped (it would fail
 * the whole patch); an absent map is created first.
 */
export function metadataMapPatch(
  field: "labels" | "annotations",
  current: Record<string, string> | undefined,
  wanted: Record<string, string>,
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const sets = Object.entries(wanted).filter(([, v]) => v !== "");
  if (current === undefined && sets.length > 0)
    ops.push({ op: "add", path: `/metadata/${field}`, value: {} });
  for (const [k, v] of Object.entries(wanted)) {
    const path = `/metadata/${field}/${escapePointerToken(k)}`;
    if (v !== "") ops.push({ op: "add", path, value: v });
    else if (current && Object.hasOwn(current, k)) ops.push({ op: "remove", path });
  }
  return ops;
}
