// Syscall-source fields over JSON events: the event is a flat object mapping field names
// (optionally with their argument, `proc.aname[2]`) to values, e.g.
//   {"evt.type":"open","proc.name":"cat","fd.name":"/etc/shadow","proc.aname":["bash","sshd"]}
// Names, types, flags and argument rules are libsinsp's and the container plugin's (sinsp-fields.ts,
// sinsp-args.ts), so rules load and type-check as they do in Falco.
import {
  isCgroupSubsystem,
  isEventTableName,
  longestEventParam,
  NO_ARG,
  nonexistentField,
  SINSP_ARG_RULES,
} from "./sinsp-args.js";
import { CONTAINER_PLUGIN_FIELD_SPECS, SYSCALL_FIELD_SPECS } from "./sinsp-fields.js";
import {
  type Extracted,
  type FalcoEventCtx,
  type FieldDef,
  type FieldSpec,
  fieldTypeOf,
  MapFieldTable,
  toScalar,
} from "./types.js";

/** Either-endpoint fields: true when the client or the server side matches. */
const ENDPOINTS: Record<string, [string, string]> = {
  "fd.ip": ["fd.cip", "fd.sip"],
  "fd.net": ["fd.cip", "fd.sip"],
  "fd.port": ["fd.cport", "fd.sport"],
  "fd.proto": ["fd.cproto", "fd.sproto"],
};

/** Ancestor fields: without an index they match any ancestor; `[0]` is the process itself. */
const ANCESTORS: Record<string, string> = {
  "proc.apid": "proc.pid",
  "proc.aname": "proc.name",
  "proc.aexe": "proc.exe",
  "proc.aexepath": "proc.exepath",
  "proc.acmdline": "proc.cmdline",
  "proc.aargs": "proc.args",
  "proc.aenv": "proc.env",
};

/** Single value of a flat event, `name[arg]` first. */
function raw(ev: FalcoEventCtx, name: string, arg: string | undefined): unknown {
  const p = ev.payload as Record<string, unknown> | null;
  if (p === null || typeof p !== "object") return undefined;
  if (arg !== undefined) return Object.hasOwn(p, `${name}[${arg}]`) ? p[`${name}[${arg}]`] : undefined;
  return Object.hasOwn(p, name) ? p[name] : undefined;
}

function scalars(type: FieldDef["type"], v: unknown): Extracted {
  const out = (Array.isArray(v) ? v : [v]).map((x) => toScalar(type, x)).filter((x) => x !== undefined);
  return out.length ? out : undefined;
}

function ancestorExtractor(def: FieldDef, self: string): FieldDef["extract"] {
  const { name, type } = def;
  return (ev, arg) => {
    const direct = raw(ev, name, arg);
    if (arg === undefined) return direct === undefined ? undefined : scalars(type, direct);
    if (direct !== undefined) return toScalar(type, direct);
    const n = Number(arg);
    if (n === 0) return toScalar(type, raw(ev, self, undefined));
    const anc = raw(ev, name, undefined);
    return Array.isArray(anc) ? toScalar(type, anc[n - 1]) : undefined;
  };
}

function endpointExtractor(def: FieldDef, [c, s]: [string, string]): FieldDef["extract"] {
  const { name, type } = def;
  return (ev) => {
    const direct = raw(ev, name, undefined);
    return scalars(type, direct !== undefined ? direct : [raw(ev, c, undefined), raw(ev, s, undefined)]);
  };
}

function listExtractor(def: FieldDef): FieldDef["extract"] {
  const { name, type } = def;
  return (ev, arg) => {
    const v = raw(ev, name, undefined);
    if (v === undefined || v === null) return undefined;
    let arr = (Array.isArray(v) ? v : [v]).map((x) => toScalar(type, x)).filter((x) => x !== undefined);
    if (arg !== undefined) arr = arr.filter((x) => x === arg);
    return arr.length ? arr : undefined;
  };
}

/**
 * A FieldDef for one table row; `name` may differ for dotted forms (evt.arg.flags). Plugin fields
 * take plugin-style arguments, checked by the compiler; libsinsp's own parse theirs (sinsp-args.ts).
 */
export function defFromSpec(spec: FieldSpec, name = spec.name, fromPlugin = false): FieldDef {
  const flags = new Set(spec.flags);
  const type = fieldTypeOf(spec.ptype);
  const def: FieldDef = { name, type, ptype: spec.ptype, desc: spec.desc, extract: () => undefined };
  if (flags.has("IS_LIST")) def.isList = true;
  if (flags.has("NO_RHS")) def.noRhs = true;
  if (flags.has("NO_TRANSFORMER")) def.noTransformer = true;
  if (flags.has("FILTER_ONLY")) def.filterOnly = true;
  if (flags.has("DEPRECATED")) def.deprecated = true;
  if (fromPlugin) {
    // an argument that can be an index or a key is any text
    if (flags.has("ARG_INDEX") || flags.has("ARG_KEY"))
      def.arg = { kind: flags.has("ARG_KEY") ? "key" : "index", required: flags.has("ARG_REQUIRED") };
  } else {
    const rule = SINSP_ARG_RULES[name] ?? NO_ARG;
    if (rule.arg) def.arg = rule.arg;
    def.checkArg = (arg) => rule.check(name, arg);
  }
  const self = ANCESTORS[name];
  const ends = ENDPOINTS[name];
  if (name === "proc.aargs") {
    // libsinsp compares proc.aargs without an index as one string, the ancestors' args joined
    // by spaces, so transformers and val() take it like any string field
    const ancestor = ancestorExtractor(def, self!);
    def.extract = (ev, arg) => {
      const v = ancestor(ev, arg);
      return Array.isArray(v) ? v.join(" ") : v;
    };
  } else if (self !== undefined) {
    def.multi = true;
    def.multiWithoutArg = true;
    def.extract = ancestorExtractor(def, self);
  } else if (ends) {
    def.multi = true;
    def.extract = endpointExtractor(def, ends);
  } else if (def.isList) {
    def.extract = listExtractor(def);
  } else {
    def.extract = (ev, arg) => toScalar(type, raw(ev, name, arg));
  }
  return def;
}

const SPEC_BY_NAME = new Map(SYSCALL_FIELD_SPECS.map((s) => [s.name, s]));
const spec = (name: string): FieldSpec => SPEC_BY_NAME.get(name)!;

const DEFS: FieldDef[] = [
  ...SYSCALL_FIELD_SPECS.map((s) => defFromSpec(s)),
  ...CONTAINER_PLUGIN_FIELD_SPECS.map((s) => defFromSpec(s, s.name, true)),
];

// evt.abspath takes its variant as a suffix: .src and .dst are the two paths of a rename/link.
for (const suffix of [".src", ".dst"]) DEFS.push(defFromSpec(spec("evt.abspath"), `evt.abspath${suffix}`));

// Falco's `%container.info` output placeholder: kept for outputs, no field for conditions.
DEFS.push({
  name: "container.info",
  type: "string",
  desc: "Falco output placeholder for container details (not a filter field).",
  checkArg: (arg) => nonexistentField("container.info", arg),
  extract: (ev) => toScalar("string", raw(ev, "container.info", undefined)),
});

/** The field names the dotted forms resolve to: `evt.arg.<param>`, `evt.rawarg.<param>`, … */
function dotted(name: string): FieldDef | undefined {
  const m = /^(evt\.arg|evt\.rawarg|evt\.type\.is|thread\.cgroup)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const [, base, rest] = m as unknown as [string, string, string];
  if (base === "evt.type.is") {
    if (!isEventTableName(rest)) return undefined;
    const def = defFromSpec(spec(base), name);
    def.checkArg = (arg) => NO_ARG.check(name, arg);
    // 1 for events of that type, 0 for others
    def.extract = (ev) => {
      const t = raw(ev, "evt.type", undefined);
      return typeof t === "string" ? (t === rest ? 1n : 0n) : undefined;
    };
    return def;
  }
  if (base === "thread.cgroup") {
    if (!isCgroupSubsystem(rest)) return undefined;
    const def = defFromSpec(spec(base), name);
    def.checkArg = (arg) => NO_ARG.check(name, arg);
    return def;
  }
  const param = longestEventParam(rest);
  if (param && param.name !== rest) return undefined; // `evt.arg.flagsx`: only `evt.arg.flags` is a field
  const def = defFromSpec(spec(base), name);
  if (!param) {
    def.checkArg = (arg) => `unknown event argument ${rest}${arg === undefined ? "" : `[${arg}]`}`;
    return def;
  }
  def.checkArg = (arg) => NO_ARG.check(name, arg);
  if (base === "evt.rawarg") {
    // a raw argument has its parameter's own type
    def.ptype = param.ptype;
    def.type = fieldTypeOf(param.ptype);
    const type = def.type;
    def.extract = (ev) => toScalar(type, raw(ev, name, undefined));
  }
  return def;
}

export const syscallTable = new MapFieldTable(DEFS, dotted);
