// Reading rules-file items from YAML nodes with positions and Falco's decode_val messages.
import { isScalar, isSeq, type LineCounter, type Node, type Pair, type YAMLMap } from "yaml";
import { yamlBooleanWord } from "../yaml/boolean.js";

export class LoadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
    this.name = "LoadError";
  }
}

export interface Loc {
  line: number;
  col: number;
}

/** One mapping item of a rules file. */
export class Item {
  constructor(
    readonly map: YAMLMap,
    readonly lc: LineCounter,
  ) {}

  loc(node?: Node | null): Loc {
    const off = node?.range?.[0] ?? this.map.range?.[0] ?? 0;
    const p = this.lc.linePos(off);
    return { line: p.line, col: p.col };
  }

  keys(): string[] {
    return this.map.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
  }

  pair(key: string): Pair | undefined {
    return this.map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as Pair | undefined;
  }

  has(key: string): boolean {
    return this.pair(key) !== undefined;
  }

  node(key: string): Node | undefined {
    const v = this.pair(key)?.value;
    return (v ?? undefined) as Node | undefined;
  }

  keyLoc(key: string): Loc {
    const p = this.pair(key);
    return this.loc((p?.key as Node) ?? null);
  }

  fail(code: string, message: string, at?: Loc): never {
    const l = at ?? this.loc();
    throw new LoadError(code, message, l.line, l.col);
  }

  /** The text of a scalar, as written (numbers keep their text). */
  scalarText(key: string, required: boolean): string | undefined {
    const p = this.pair(key);
    if (!p) {
      if (required) this.fail("LOAD_ERR_YAML_VALIDATE", `Item has no mapping for key '${key}'`);
      return undefined;
    }
    const v = p.value as Node | null;
    if (v === null || (isScalar(v) && v.value === null)) {
      this.fail("LOAD_ERR_YAML_VALIDATE", `Mapping for key '${key}' is empty`);
    }
    if (!isScalar(v)) this.fail("LOAD_ERR_YAML_VALIDATE", "Value is not a scalar value", this.loc(v));
    const text = scalarString(v);
    if (text === "") this.fail("LOAD_ERR_YAML_VALIDATE", "Value must be non-empty", this.loc(v));
    return text;
  }

  /** A scalar that may be empty or null (e.g. `source:`); undefined when absent. */
  scalarTextOrEmpty(key: string): string | undefined {
    const p = this.pair(key);
    if (!p) return undefined;
    const v = p.value as Node | null;
    if (v === null || (isScalar(v) && v.value === null)) return "";
    if (!isScalar(v)) this.fail("LOAD_ERR_YAML_VALIDATE", "Value is not a scalar value", this.loc(v));
    return scalarString(v);
  }

  bool(key: string, required = false): boolean | undefined {
    const t = this.scalarText(key, required);
    if (t === undefined) return undefined;
    // The exact words only: a quoted " true " stays an error here (yamlBooleanWord would trim it).
    const b = t === t.trim() ? yamlBooleanWord(t) : undefined;
    if (b !== undefined) return b;
    this.fail("LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value", this.loc(this.node(key)));
  }

  uint(key: string): number | undefined {
    const t = this.scalarText(key, false);
    if (t === undefined) return undefined;
    if (!/^\d+$/.test(t))
      this.fail("LOAD_ERR_YAML_VALIDATE", "Can't decode YAML scalar value", this.loc(this.node(key)));
    return Number(t);
  }

  /** A sequence of scalars (tags, list items); null is not a sequence either. */
  scalarSeq(key: string, required: boolean): string[] | undefined {
    const p = this.pair(key);
    if (!p) {
      if (required) this.fail("LOAD_ERR_YAML_VALIDATE", `Item has no mapping for key '${key}'`);
      return undefined;
    }
    const v = p.value as Node | null;
    if (!isSeq(v))
      this.fail("LOAD_ERR_YAML_VALIDATE", "Value is not a sequence", v ? this.loc(v) : this.keyLoc(key));
    return v.items.map((x) => {
      if (!isScalar(x) || x.value === null)
        this.fail("LOAD_ERR_YAML_VALIDATE", "sequence value is not scalar", this.loc((x as Node) ?? v));
      return scalarString(x);
    });
  }
}

/** Scalar text: strings as they are, other plain scalars as written in the file. */
export function scalarString(n: Node): string {
  if (!isScalar(n)) return "";
  if (typeof n.value === "string") return n.value;
  if (n.value === null) return "";
  const src = (n as { source?: string }).source;
  return typeof src === "string" ? src : String(n.value);
}
