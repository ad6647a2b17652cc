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

/** The value of `key` in a metadata map, or null when absent (own keys only: `constructor` is a valid label key). */
export function mapValue(map: Record<string, string> | undefined, key: string): string | null {
  return map !== undefined && Object.hasOwn(map, key) ? (map[key] ?? null) : null;
}

/**
 * One patch of `/metadata/<field>` that applies only while every key it touches still holds
 * the value read (`current`): each key is tested (value null: absent) before it is set to its
 * `wanted` value or removed (null), so a concurrent change fails the whole patch with a 422
 * instead of being overwritten. Keys already at their wanted value are left out; nothing to
 * change gives no ops. A key can't be tested inside an absent map, so an absent map is tested
 * absent itself, then created.
 */
export function guardedMetadataPatch(
  field: "labels" | "annotations",
  current: Record<string, string> | undefined,
  wanted: Record<string, string | null>,
): JsonPatchOp[] {
  const changes = Object.entries(wanted).filter(([k, v]) => mapValue(current, k) !== v);
  if (changes.length === 0) return [];
  const ops: JsonPatchOp[] = [];
  if (current === undefined) {
    ops.push({ op: "test", path: `/metadata/${field}`, value: null });
    ops.push({ op: "add", path: `/metadata/${field}`, value: {} });
  }
  for (const [k, v] of changes) {
    const path = `/metadata/${field}/${escapePointerToken(k)}`;
    if (current !== undefined) ops.push({ op: "test", path, value: mapValue(current, k) });
    ops.push(v === null ? { op: "remove", path } : { op: "add", path, value: v });
  }
  return ops;
}
