// json plugin fields: json.value[ptr], json.obj, json.rawtime and the jevt.* aliases.
import { type FalcoEventCtx, type FieldDef, MapFieldTable } from "./types.js";

/** Splits an RFC 6901 pointer (leading "/" optional) into unescaped reference tokens. */
export function parsePointer(ptr: string): string[] {
  const p = ptr.startsWith("/") ? ptr.slice(1) : ptr;
  return p.split("/").map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

export function resolvePointer(doc: unknown, tokens: string[]): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(t)) return undefined;
      cur = cur[Number(t)];
    } else if (cur !== null && typeof cur === "object") {
      if (!Object.hasOwn(cur, t)) return undefined;
      cur = (cur as Record<string, unknown>)[t];
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** String → unquoted text; anything else → compact JSON. */
export function asString(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function compactPayload(ev: FalcoEventCtx): string {
  if (ev.compact === undefined) ev.compact = JSON.stringify(ev.payload);
  return ev.compact;
}

const isDoc = (p: unknown) => p !== null && typeof p === "object";

function jsonFields(prefix: string): FieldDef[] {
  const pointerCache = new Map<string, string[]>();
  return [
    {
      name: `${prefix}.value`,
      type: "string",
      arg: { kind: "key", required: true },
      extract(ev, arg) {
        if (!isDoc(ev.payload)) return undefined;
        const key = arg ?? "";
        if (key === "") return compactPayload(ev);
        let tokens = pointerCache.get(key);
        if (!tokens) {
          tokens = parsePointer(key);
          pointerCache.set(key, tokens);
        }
        const v = resolvePointer(ev.payload, tokens);
        return v === undefined ? undefined : asString(v);
      },
    },
    {
      name: `${prefix}.obj`,
      type: "string",
      extract: (ev) => (isDoc(ev.payload) ? JSON.stringify(ev.payload, null, 2) : undefined),
    },
    {
      name: `${prefix}.rawtime`,
      type: "string",
      extract: (ev) => (isDoc(ev.payload) ? ev.timeNs.toString() : undefined),
    },
  ];
}

export const jsonTable = new MapFieldTable([...jsonFields("json"), ...jsonFields("jevt")]);
