// Which operators libsinsp accepts for a field's parameter type (its flt_is_comparable), with its
// error texts, and the type names its messages print (param_type_to_string).
import type { FieldType, ParamType } from "./fields/types.js";

const NUMERIC_OPS = new Set(["=", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"]);
const BOOL_OPS = new Set(["=", "!=", "in", "intersects", "exists"]);
const STRING_OPS = new Set([
  ...NUMERIC_OPS,
  "contains",
  "icontains",
  "startswith",
  "endswith",
  "glob",
  "iglob",
  "pmatch",
  "regex",
]);
const BUFFER_OPS = new Set([
  "=",
  "!=",
  "contains",
  "in",
  "exists",
  "startswith",
  "endswith",
  "intersects",
  "bcontains",
  "bstartswith",
]);
const IP_OPS = BOOL_OPS;
const LIST_OPS = new Set(["in", "intersects", "exists"]);

const NUMERIC: ReadonlySet<ParamType> = new Set<ParamType>([
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "ERRNO",
  "FD",
  "PID",
  "SYSCALLID",
  "SIGTYPE",
  "RELTIME",
  "ABSTIME",
  "PORT",
  "FLAGS8",
  "FLAGS16",
  "FLAGS32",
  "DOUBLE",
  "MODE",
  "ENUMFLAGS8",
  "ENUMFLAGS16",
  "ENUMFLAGS32",
]);
const IP: ReadonlySet<ParamType> = new Set<ParamType>([
  "IPV4ADDR",
  "IPV4NET",
  "IPV6ADDR",
  "IPV6NET",
  "IPADDR",
  "IPNET",
]);
const STRING: ReadonlySet<ParamType> = new Set<ParamType>(["CHARBUF", "FSPATH", "FSRELPATH"]);
/** The element types a list-valued field may have. */
const LIST_ELEMENTS: ReadonlySet<ParamType> = new Set<ParamType>([
  "CHARBUF",
  "UINT64",
  "RELTIME",
  "ABSTIME",
  "BOOL",
  "IPADDR",
  "IPNET",
]);

/** libsinsp's name of a parameter type; the types its table lacks print as `<NA>`. */
export function paramTypeName(t: ParamType): string {
  switch (t) {
    case "DYN":
      return "DYNAMIC";
    case "IPV6ADDR":
    case "IPV6NET":
    case "FD32":
    case "PID32":
      return "<NA>";
    default:
      return t;
  }
}

/** The parameter type standing for a field declared only by its family (plugin and JSON fields). */
export function paramTypeOf(t: FieldType): ParamType {
  const map: Record<FieldType, ParamType> = {
    string: "CHARBUF",
    int: "UINT64",
    port: "PORT",
    abstime: "ABSTIME",
    reltime: "RELTIME",
    double: "DOUBLE",
    bool: "BOOL",
    ipaddr: "IPADDR",
    ipnet: "IPNET",
    bytebuf: "BYTEBUF",
  };
  return map[t];
}

/**
 * Why libsinsp refuses `op` (canonical: `=` for `==`; `mod` a oneof/anyof/allof modifier) on a
 * value of type `t` (`isList`: a list-valued field), or undefined when it accepts it. The caller
 * prefixes "filter error: ".
 */
export function notComparable(
  op: string,
  mod: string | undefined,
  t: ParamType,
  isList: boolean,
): string | undefined {
  if (op === "exists") return undefined;
  if (isList) {
    if (!LIST_ELEMENTS.has(t)) return `list filters are not supported for type '${paramTypeName(t)}'`;
    return LIST_OPS.has(op) ? undefined : `'${op}' operator not supported list filters`;
  }
  const check = (ops: ReadonlySet<string>, what: string) =>
    ops.has(op) ? undefined : `'${op}' operator not supported for ${what} filters`;
  if (NUMERIC.has(t)) return check(NUMERIC_OPS, "numeric");
  if (t === "BOOL") return check(BOOL_OPS, "numeric");
  if (IP.has(t)) {
    if (mod !== undefined && !IP_OPS.has(op))
      return `'${op}' with modifier not supported for ip address and network filters`;
    return check(IP_OPS, "ip address and network");
  }
  if (STRING.has(t)) return check(STRING_OPS, "string");
  if (t === "BYTEBUF") return check(BUFFER_OPS, "buffer");
  return `'${op}' operator not supported for type '${paramTypeName(t)}'`;
}
