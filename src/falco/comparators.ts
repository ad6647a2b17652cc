// How each operator compares an extracted value with the condition's right-hand side values, per
// field type family (which operators a type accepts is comparable.ts's).
import { errorText } from "../error-text.js";
import type { Pos } from "./ast.js";
import { FalcoCompileError } from "./compile-error.js";
import {
  type FieldType,
  type Ip,
  type IpNet,
  isNumericType,
  parseIp,
  parseIpNet,
  type Scalar,
} from "./fields/types.js";
import {
  asciiLower,
  bytesEndsWith,
  bytesEqual,
  bytesIndexOf,
  bytesStartsWith,
  compilePmatch,
  globToRegExp,
  SERVICE_PORTS,
} from "./operators.js";

function family(t: FieldType): "numeric" | "bool" | "string" | "buffer" | "ip" {
  if (isNumericType(t)) return "numeric";
  if (t === "bool") return "bool";
  if (t === "bytebuf") return "buffer";
  if (t === "ipaddr" || t === "ipnet") return "ip";
  return "string";
}

/** Builds the single-value comparison `v OP rhs`. */
export function comparator(type: FieldType, op: string, raw: string[], pos: Pos): (v: Scalar) => boolean {
  const fam = family(type);
  if (op === "bcontains" || op === "bstartswith") {
    const hex = raw[0]!;
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
      throw new FalcoCompileError(
        "filter error: bcontains and bstartswith operator support hex strings only",
        pos,
      );
    }
    const needle = Buffer.from(hex, "hex");
    return op === "bcontains"
      ? (v) => bytesIndexOf(v as Uint8Array, needle) >= 0
      : (v) => bytesStartsWith(v as Uint8Array, needle);
  }
  switch (fam) {
    case "numeric": {
      const nums = raw.map((x) => parseNumber(type, x, pos));
      return numericCmp(op, nums);
    }
    case "bool": {
      const bs = raw.map((x) => {
        if (x === "true") return true;
        if (x === "false") return false;
        throw new FalcoCompileError(`filter error: unrecognized boolean value ${x}`, pos);
      });
      if (op === "!=") return (v) => v !== bs[0];
      if (op === "=") return (v) => v === bs[0];
      return (v) => bs.includes(v as boolean);
    }
    case "ip": {
      const nets: IpNet[] = raw.map((x) => {
        const isNet = type === "ipnet" || x.includes("/");
        const n = isNet ? parseIpNet(x) : parseIp(x);
        if (!n)
          throw new FalcoCompileError(
            `filter error: unrecognized IP ${isNet ? "network" : "address"} ${x}`,
            pos,
          );
        return "mask" in n ? n : { v6: n.v6, net: n.n, mask: n.v6 ? (1n << 128n) - 1n : 0xffffffffn };
      });
      const match = (v: Scalar) => {
        const ip = v as Ip;
        for (const n of nets) if (n.v6 === ip.v6 && (ip.n & n.mask) === n.net) return true;
        return false;
      };
      return op === "!=" ? (v) => !match(v) : match;
    }
    case "buffer": {
      const bufs = raw.map((x) => Buffer.from(x, "latin1"));
      const b0 = bufs[0]!;
      switch (op) {
        case "=":
          return (v) => bytesEqual(v as Uint8Array, b0);
        case "!=":
          return (v) => !bytesEqual(v as Uint8Array, b0);
        case "contains":
          return (v) => bytesIndexOf(v as Uint8Array, b0) >= 0;
        case "startswith":
          return (v) => bytesStartsWith(v as Uint8Array, b0);
        case "endswith":
          return (v) => bytesEndsWith(v as Uint8Array, b0);
        default:
          return (v) => bufs.some((b) => bytesEqual(v as Uint8Array, b));
      }
    }
    default:
      return stringCmp(op, raw, pos);
  }
}

/** A value as right-hand side text, for comparing against another field of the event. */
export function scalarKey(v: Scalar): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Uint8Array) return Buffer.from(v).toString("latin1");
  return ipText(v);
}

function ipText(ip: Ip): string {
  if (!ip.v6) return [24n, 16n, 8n, 0n].map((s) => String((ip.n >> s) & 255n)).join(".");
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((ip.n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return g.join(":");
}

function parseNumber(type: FieldType, x: string, pos: Pos): bigint {
  if (type === "port" && Object.hasOwn(SERVICE_PORTS, x)) return BigInt(SERVICE_PORTS[x]!);
  if (!/^[+-]?[0-9]+$/.test(x)) throw new FalcoCompileError(`${x} is not a valid number`, pos);
  return BigInt(x);
}

function numericCmp(op: string, nums: bigint[]): (v: Scalar) => boolean {
  const n = nums[0]!;
  switch (op) {
    case "=":
      return (v) => v === n;
    case "!=":
      return (v) => v !== n;
    case "<":
      return (v) => (v as bigint) < n;
    case "<=":
      return (v) => (v as bigint) <= n;
    case ">":
      return (v) => (v as bigint) > n;
    case ">=":
      return (v) => (v as bigint) >= n;
    default: {
      const set = new Set(nums);
      return (v) => set.has(v as bigint);
    }
  }
}

function stringCmp(op: string, raw: string[], pos: Pos): (v: Scalar) => boolean {
  const r = raw[0]!;
  switch (op) {
    case "=":
      return (v) => v === r;
    case "!=":
      return (v) => v !== r;
    case "<":
      return (v) => (v as string) < r;
    case "<=":
      return (v) => (v as string) <= r;
    case ">":
      return (v) => (v as string) > r;
    case ">=":
      return (v) => (v as string) >= r;
    case "contains":
      return (v) => (v as string).includes(r);
    case "icontains": {
      const lr = asciiLower(r);
      return (v) => asciiLower(v as string).includes(lr);
    }
    case "startswith":
      return (v) => (v as string).startsWith(r);
    case "endswith":
      return (v) => (v as string).endsWith(r);
    case "glob":
    case "iglob": {
      const re = globToRegExp(r, op === "iglob");
      return (v) => re.test(v as string);
    }
    case "regex": {
      let re: RegExp;
      try {
        re = new RegExp("^(?:" + r + ")$", "s");
      } catch (err) {
        throw new FalcoCompileError(`invalid regex pattern: ${errorText(err)}`, pos);
      }
      return (v) => re.test(v as string);
    }
    case "pmatch": {
      const m = compilePmatch(raw);
      return (v) => m(v as string);
    }
    default: {
      if (raw.length <= 4) return (v) => raw.includes(v as string);
      const set = new Set(raw);
      return (v) => set.has(v as string);
    }
  }
}
