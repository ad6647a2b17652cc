/**
 * YAML nodes turned into {@link LocatedValue} trees: plain values that remember the
 * file:line:col of every node, so merged parameters can still be traced to their source.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import type { LocatedValue, SourcePos } from "./types.js";

export type LocatedMap = Extract<LocatedValue, { kind: "map" }>;
export type LocatedList = Extract<LocatedValue, { kind: "list" }>;

export interface YamlSource {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
}

export function posAt(src: YamlSource, offset: number): SourcePos {
  const { line, col } = src.lineCounter.linePos(offset);
  return { file: src.file, line, col };
}

function nodePos(src: YamlSource, node: unknown, fallback: SourcePos): SourcePos {
  const range = (node as Node | null)?.range;
  return range ? posAt(src, range[0]) : fallback;
}

/**
 * Builds the tree of a YAML node. Aliases are resolved (positions stay at the alias) and
 * `<<` merge keys are applied, explicit keys winning, as YAML 1.1 merges (and Talon's
 * yaml.v3) do.
 */
export function buildLocated(
  src: YamlSource,
  node: unknown,
  fallback: SourcePos,
  seen = new Set<unknown>(),
): LocatedValue {
  const pos = nodePos(src, node, fallback);
  if (isAlias(node)) {
    const target = node.resolve(src.doc);
    // A self-referencing anchor would recurse forever; treat it as null.
    if (!target || seen.has(target)) return { kind: "scalar", pos, value: null };
    seen.add(target);
    const v = buildLocated(src, target, pos, seen);
    seen.delete(target);
    return relocate(v, pos);
  }
  if (isMap(node)) {
    const entries = new Map<string, LocatedValue>();
    const keyPositions = new Map<string, SourcePos>();
    const merged: LocatedMap[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key;
      const keyPos = nodePos(src, keyNode, pos);
      if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
        const v = buildLocated(src, pair.value, keyPos, seen);
        if (v.kind === "map") merged.push(v);
        else if (v.kind === "list") for (const item of v.items) if (item.kind === "map") merged.push(item);
        continue;
      }
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      entries.set(key, buildLocated(src, pair.value, keyPos, seen));
      keyPositions.set(key, keyPos);
    }
    for (const m of merged) {
      for (const [k, v] of m.entries) {
        if (entries.has(k)) continue;
        entries.set(k, v);
        keyPositions.set(k, m.keyPos?.get(k) ?? v.pos);
      }
    }
    return { kind: "map", pos, entries, keyPos: keyPositions };
  }
  if (isSeq(node)) {
    return { kind: "list", pos, items: node.items.map((item) => buildLocated(src, item, pos, seen)) };
  }
  if (isScalar(node)) return { kind: "scalar", pos, value: node.value };
  return { kind: "scalar", pos, value: null };
}

/** An alias's value, placed at the alias (where the user wrote it). */
function relocate(v: LocatedValue, pos: SourcePos): LocatedValue {
  return { ...v, pos };
}

/** The plain JS value of a tree. */
export function toPlain(v: LocatedValue | undefined): unknown {
  if (!v) return undefined;
  switch (v.kind) {
    case "scalar":
      return v.value;
    case "list":
      return v.items.map(toPlain);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, e] of v.entries) out[k] = toPlain(e);
      return out;
    }
  }
}

/** The plain record of a map tree (empty for a missing tree). */
export function toPlainRecord(v: LocatedMap | undefined): Record<string, unknown> {
  return (toPlain(v) as Record<string, unknown> | undefined) ?? {};
}

/** The node at `path`, or the deepest existing ancestor when the path goes further. */
export function locate(root: LocatedValue, path: readonly PropertyKey[]): LocatedValue {
  let cur = root;
  for (const seg of path) {
    let next: LocatedValue | undefined;
    if (cur.kind === "map") next = cur.entries.get(String(seg));
    else if (cur.kind === "list" && typeof seg === "number") next = cur.items[seg];
    if (!next) break;
    cur = next;
  }
  return cur;
}

/**
 * Where the key at the end of `path` is written (the key itself, not its value); the
 * nearest existing node when the path does not lead to a written key.
 */
export function locateKey(root: LocatedValue, path: readonly PropertyKey[]): SourcePos {
  if (path.length === 0) return root.pos;
  const parent = locate(root, path.slice(0, -1));
  const key = String(path[path.length - 1]);
  if (parent.kind === "map") return parent.keyPos?.get(key) ?? parent.entries.get(key)?.pos ?? parent.pos;
  return locate(root, path).pos;
}

/** The entry `key` of a map tree, when the tree is a map and the entry is not null. */
export function entry(v: LocatedValue | undefined, key: string): LocatedValue | undefined {
  if (v?.kind !== "map") return undefined;
  const e = v.entries.get(key);
  return e && !isNull(e) ? e : undefined;
}

export function isNull(v: LocatedValue): boolean {
  return v.kind === "scalar" && (v.value === null || v.value === undefined);
}
