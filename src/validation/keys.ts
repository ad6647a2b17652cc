/**
 * Unknown-key detection against a zod schema's object shape, without making the schema
 * strict: the schema keeps stripping unknown keys at run time, validation reports them.
 * Pipes, transforms, preprocess, defaults, optionals, refinements, unions and intersections
 * are looked through to the object(s) they wrap.
 */
import type { z } from "zod";
import { closest } from "./suggest.js";

/** The keys an object schema knows, and whether it accepts any other (loose/catchall). */
export interface Shape {
  keys: Map<string, z.ZodType>;
  open: boolean;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: { _zod: { def: Def } };
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/**
 * The schema a wrapper stands for: a pipe's real schema (after preprocess's transform, else its
 * input), the inner type of defaults/optionals/refinement wrappers, a lazy's target. Undefined
 * for anything that is not a wrapper.
 */
function unwrap(def: Def): unknown {
  switch (def.type) {
    case "pipe":
      // preprocess: a transform first, then the real schema.
      return defOf(def.in)?.type === "transform" ? def.out : def.in;
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
    case "nonoptional":
    case "readonly":
    case "catch":
    case "success":
      return def.innerType;
    case "lazy":
      return def.getter?.();
    default:
      return undefined;
  }
}

/** The object shape a schema validates, or undefined when it is not (or does not wrap) an object. */
export function shapeOf(schema: unknown, depth = 0): Shape | undefined {
  const def = defOf(schema);
  if (!def || depth > 32) return undefined;
  const inner = unwrap(def);
  if (inner !== undefined) return shapeOf(inner, depth + 1);
  switch (def.type) {
    case "object": {
      const keys = new Map(Object.entries(def.shape ?? {}));
      const catchType = def.catchall ? defOf(def.catchall)?.type : undefined;
      return { keys, open: catchType !== undefined && catchType !== "never" };
    }
    case "union":
      return merge((def.options ?? []).map((o) => shapeOf(o, depth + 1)));
    case "intersection":
      return merge([shapeOf(def.left, depth + 1), shapeOf(def.right, depth + 1)]);
    default:
      return undefined;
  }
}

function merge(shapes: (Shape | undefined)[]): Shape | undefined {
  const found = shapes.filter((s): s is Shape => s !== undefined);
  if (found.length === 0) return undefined;
  const keys = new Map<string, z.ZodType>();
  for (const s of found) for (const [k, v] of s.keys) if (!keys.has(k)) keys.set(k, v);
  return { keys, open: found.some((s) => s.open) };
}

export interface UnknownKey {
  /** Path of the unknown key itself (its parent path plus the key). */
  path: PropertyKey[];
  key: string;
  /** The keys allowed at that place. */
  allowed: string[];
  /** The closest allowed key, when the unknown one looks like a typo of it. */
  suggestion?: string;
}

/**
 * Keys of `value` (recursively, through nested objects and lists of objects) that the
 * schema does not know.
 */
export function unknownKeys(schema: unknown, value: unknown, path: PropertyKey[] = []): UnknownKey[] {
  const out: UnknownKey[] = [];
  walk(schema, value, path, out, 0);
  return out;
}

function walk(schema: unknown, value: unknown, path: PropertyKey[], out: UnknownKey[], depth: number): void {
  if (depth > 32 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const item = elementOf(schema);
    if (item) for (const [i, v] of value.entries()) walk(item, v, [...path, i], out, depth + 1);
    return;
  }
  const shape = shapeOf(schema);
  if (!shape) return;
  const allowed = [...shape.keys.keys()];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const child = shape.keys.get(k);
    if (child) walk(child, v, [...path, k], out, depth + 1);
    else if (!shape.open) {
      const suggestion = closest(k, allowed);
      out.push({ path: [...path, k], key: k, allowed, ...(suggestion ? { suggestion } : {}) });
    }
  }
}

/** The element schema of a list schema (through the same wrappers as {@link shapeOf}). */
function elementOf(schema: unknown, depth = 0): unknown {
  const def = defOf(schema) as (Def & { element?: z.ZodType }) | undefined;
  if (!def || depth > 32) return undefined;
  const inner = unwrap(def);
  if (inner !== undefined) return elementOf(inner, depth + 1);
  switch (def.type) {
    case "array":
      return def.element;
    case "union":
      for (const o of def.options ?? []) {
        const e = elementOf(o, depth + 1);
        if (e) return e;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** `unknown key 'x'`, with `, did you mean 'y'?` when one allowed key is close. */
export function unknownKeyMessage(u: UnknownKey, hints: Record<string, string> = {}): string {
  const hint = Object.hasOwn(hints, u.key) ? hints[u.key] : u.suggestion;
  return `unknown key '${u.key}'${hint ? `, did you mean '${hint}'?` : ""}`;
}
