// Field definitions shared by every source: field types, runtime values (IP parsing included), field tables.

/** Falco field types, folded into the families the compiler distinguishes. */
export type FieldType =
  | "string"
  | "int"
  | "port"
  | "abstime"
  | "reltime"
  | "double"
  | "bool"
  | "ipaddr"
  | "ipnet"
  | "bytebuf";

export interface Ip {
  v6: boolean;
  n: bigint;
}

/** A runtime value: strings, numbers as bigint, booleans, IPs, byte buffers. */
export type Scalar = string | bigint | boolean | Ip | Uint8Array;
/** undefined = the field could not be extracted (missing). Arrays are list/multi values (never empty). */
export type Extracted = Scalar | Scalar[] | undefined;

/** What an extractor sees: one event of one source. */
export interface FalcoEventCtx {
  source: string;
  /** event time in ns since the epoch */
  timeNs: bigint;
  /** the JSON payload (audit event, plugin JSON, or the flat field map of a syscall-style event) */
  payload: unknown;
  /** lazily computed compact JSON of the payload, shared by extractors */
  compact?: string;
  num: bigint;
  hostname: string;
  /** per-event cache for extractors that pre-compute something */
  cache?: Map<string, unknown>;
}

/** libsinsp parameter types (ppm_param_type without the PT_ prefix) that fields and event parameters use. */
export type ParamType =
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "CHARBUF"
  | "BYTEBUF"
  | "ERRNO"
  | "SOCKADDR"
  | "SOCKTUPLE"
  | "FD"
  | "PID"
  | "FDLIST"
  | "FSPATH"
  | "SYSCALLID"
  | "SIGTYPE"
  | "RELTIME"
  | "ABSTIME"
  | "PORT"
  | "L4PROTO"
  | "SOCKFAMILY"
  | "BOOL"
  | "IPV4ADDR"
  | "DYN"
  | "FLAGS8"
  | "FLAGS16"
  | "FLAGS32"
  | "UID"
  | "GID"
  | "DOUBLE"
  | "SIGSET"
  | "CHARBUFARRAY"
  | "CHARBUF_PAIR_ARRAY"
  | "IPV4NET"
  | "IPV6ADDR"
  | "IPV6NET"
  | "IPADDR"
  | "IPNET"
  | "MODE"
  | "FSRELPATH"
  | "ENUMFLAGS8"
  | "ENUMFLAGS16"
  | "ENUMFLAGS32"
  | "FD32"
  | "PID32";

/** libsinsp's filtercheck field flags (EPF_* without the prefix). */
export type FieldFlag =
  | "FILTER_ONLY"
  | "PRINT_ONLY"
  | "ARG_REQUIRED"
  | "TABLE_ONLY"
  | "INFO"
  | "CONVERSATION"
  | "IS_LIST"
  | "ARG_ALLOWED"
  | "ARG_INDEX"
  | "ARG_KEY"
  | "DEPRECATED"
  | "NO_TRANSFORMER"
  | "NO_RHS"
  | "NO_PTR_STABILITY"
  | "FORMAT_SUGGESTED";

/** One row of a libsinsp field table, as declared upstream. */
export interface FieldSpec {
  name: string;
  ptype: ParamType;
  flags: readonly FieldFlag[];
  desc: string;
}

/**
 * The compiler's type family for a libsinsp parameter type. Types libsinsp cannot compare at all
 * (sockaddr, fd lists, string arrays…) fold into the family their RHS parser reads them as.
 */
export function fieldTypeOf(p: ParamType): FieldType {
  switch (p) {
    case "CHARBUF":
    case "FSPATH":
    case "FSRELPATH":
    case "SOCKADDR":
    case "SOCKTUPLE":
    case "SOCKFAMILY":
    case "CHARBUFARRAY":
    case "CHARBUF_PAIR_ARRAY":
    case "FDLIST":
    case "DYN":
      return "string";
    case "BYTEBUF":
      return "bytebuf";
    case "BOOL":
      return "bool";
    case "IPADDR":
    case "IPV4ADDR":
    case "IPV6ADDR":
      return "ipaddr";
    case "IPNET":
    case "IPV4NET":
    case "IPV6NET":
      return "ipnet";
    case "PORT":
      return "port";
    case "RELTIME":
      return "reltime";
    case "ABSTIME":
      return "abstime";
    case "DOUBLE":
      return "double";
    default:
      return "int";
  }
}

export interface FieldArgSpec {
  kind: "index" | "key";
  required: boolean;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  desc?: string;
  /** list-valued (k8saudit L fields, fd.types): only in/intersects/exists */
  isList?: boolean;
  /** either-endpoint / any-ancestor semantics: the extractor returns the candidates */
  multi?: boolean;
  arg?: FieldArgSpec;
  /** an argument-less use is a multi (ancestor) field, an indexed one a single value */
  multiWithoutArg?: boolean;
  noRhs?: boolean;
  noTransformer?: boolean;
  /** fields that exist but cannot be used in filters (Falco's %container.info output placeholder) */
  notInFilters?: boolean;
  /** EPF_FILTER_ONLY: usable in conditions, not in outputs (`<name> is filter only and cannot be used as a display field`) */
  filterOnly?: boolean;
  /** EPF_DEPRECATED */
  deprecated?: boolean;
  /** the libsinsp parameter type behind `type` (syscall and generic fields) */
  ptype?: ParamType;
  /**
   * libsinsp's own argument parsing for this field: given the `[arg]` written (undefined when none),
   * Falco's error text for a use it rejects, else undefined. When set it replaces the generic
   * plugin-style checks driven by `arg` (which still tells outputs whether `[…]` belongs to the field).
   */
  checkArg?(arg: string | undefined): string | undefined;
  extract(ev: FalcoEventCtx, arg: string | undefined): Extracted;
}

export interface FieldTable {
  lookup(name: string): FieldDef | undefined;
}

export class MapFieldTable implements FieldTable {
  private readonly map = new Map<string, FieldDef>();
  constructor(
    defs: FieldDef[],
    private readonly fallback?: (name: string) => FieldDef | undefined,
  ) {
    for (const d of defs) this.map.set(d.name, d);
  }
  lookup(name: string): FieldDef | undefined {
    return this.map.get(name) ?? this.fallback?.(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
}

export function mergeTables(...tables: FieldTable[]): FieldTable {
  return {
    lookup(name) {
      for (const t of tables) {
        const d = t.lookup(name);
        if (d) return d;
      }
      return undefined;
    },
  };
}

export function isNumericType(t: FieldType): boolean {
  return t === "int" || t === "port" || t === "abstime" || t === "reltime" || t === "double";
}

// ---- IP helpers -------------------------------------------------------------

export function parseIPv4(s: string): Ip | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0n;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return undefined;
    n = (n << 8n) | BigInt(b);
  }
  return { v6: false, n };
}

export function parseIPv6(s: string): Ip | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push(Number(v4.n >> 16n), Number(v4.n & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return { v6: true, n };
}

/** Falco's rule: a value containing '.' is IPv4, otherwise IPv6. */
export function parseIp(s: string): Ip | undefined {
  return s.includes(".") && !s.includes(":") ? parseIPv4(s) : parseIPv6(s);
}

export interface IpNet {
  v6: boolean;
  net: bigint;
  mask: bigint;
}

export function parseIpNet(s: string): IpNet | undefined {
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const bits = ip.v6 ? 128 : 32;
  let len = bits;
  if (slash >= 0) {
    const l = s.slice(slash + 1);
    if (!/^\d+$/.test(l) || Number(l) > bits) return undefined;
    len = Number(l);
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = len === 0 ? 0n : (all << BigInt(bits - len)) & all;
  return { v6: ip.v6, net: ip.n & mask, mask };
}

export function ipToString(ip: Ip): string {
  if (!ip.v6) {
    const n = ip.n;
    return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip.n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

// ---- conversions from JSON values (syscall-style events) ---------------------

/** Converts a JSON value supplied for a field into the field's runtime representation. */
export function toScalar(type: FieldType, raw: unknown): Scalar | undefined {
  if (raw === null || raw === undefined) return undefined;
  switch (type) {
    case "string":
      return typeof raw === "string" ? raw : JSON.stringify(raw);
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === 1) return true;
      if (raw === "false" || raw === 0) return false;
      return undefined;
    case "ipaddr":
    case "ipnet":
      return typeof raw === "string" ? parseIp(raw) : undefined;
    case "bytebuf":
      return typeof raw === "string" ? Buffer.from(raw, "latin1") : undefined;
    default:
      if (typeof raw === "bigint") return raw;
      if (typeof raw === "number" && Number.isFinite(raw)) return BigInt(Math.trunc(raw));
      if (typeof raw === "string" && /^[+-]?\d+$/.test(raw.trim())) return BigInt(raw.trim());
      return undefined;
  }
}

/** Text rendering of a value as Falco prints it in outputs. */
export function scalarToText(v: Scalar): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Uint8Array) return Buffer.from(v).toString("latin1");
  return ipToString(v);
}
