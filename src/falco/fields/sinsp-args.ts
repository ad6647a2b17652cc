// How libsinsp's own filterchecks parse a field's argument (their parse_field_name overrides), with
// Falco's error texts. Falco joins a field and its `[arg]` into one text and looks that text up; a
// text no filtercheck consumes entirely is an unknown field, which is why most misuses read
// `filter_check called with nonexistent field …`.
import { EVENT_PARAMS, EVENT_TABLE_NAMES } from "./event-table.js";
import type { FieldArgSpec, ParamType } from "./types.js";

export function nonexistentField(name: string, arg: string | undefined): string {
  return `filter_check called with nonexistent field ${name}${arg === undefined ? "" : `[${arg}]`}`;
}

/** libsinsp parses numeric arguments with sscanf("%d%c"): optional blanks, a sign, digits, nothing after. */
function isScannedInt(s: string): boolean {
  return /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(s);
}

export interface ArgRule {
  /** what outputs and the compiler's multi-value logic need to know about `[…]` */
  arg?: FieldArgSpec;
  check(name: string, arg: string | undefined): string | undefined;
}

/** A field without argument syntax: `name[x]` names no field. */
export const NO_ARG: ArgRule = {
  check: (name, arg) => (arg === undefined ? undefined : nonexistentField(name, arg)),
};

/** proc.aname[N] and friends: a bad index is swallowed and the text then names no field. */
const ANCESTOR_INDEX: ArgRule = {
  arg: { kind: "index", required: false },
  check: (name, arg) => (arg === undefined || isScannedInt(arg) ? undefined : nonexistentField(name, arg)),
};

/** proc.env[NAME] / proc.aenv[NAME|N]: any text. */
const ENV_KEY: ArgRule = { arg: { kind: "key", required: false }, check: () => undefined };

/** Fields whose dotted suffix is their argument: bracket syntax and a bare name are syntax errors. */
const DOTTED_ONLY: ArgRule = {
  check: (name, arg) => `filter syntax error: ${name}${arg === undefined ? "" : `[${arg}]`}`,
};

/** Argument rules of the fields that take one; every other libsinsp field is NO_ARG. */
export const SINSP_ARG_RULES: Readonly<Record<string, ArgRule>> = {
  "proc.apid": ANCESTOR_INDEX,
  "proc.aname": ANCESTOR_INDEX,
  "proc.aexe": ANCESTOR_INDEX,
  "proc.aexepath": ANCESTOR_INDEX,
  "proc.acmdline": ANCESTOR_INDEX,
  "proc.aargs": ANCESTOR_INDEX,
  "proc.args": ANCESTOR_INDEX,
  "proc.env": ENV_KEY,
  "proc.aenv": ENV_KEY,
  // an index that does not parse is an error of its own here (the exception is not caught)
  "fd.types": {
    arg: { kind: "index", required: false },
    check: (_, arg) => (arg === undefined || isScannedInt(arg) ? undefined : `${arg} is not a valid number`),
  },
  "evt.arg": {
    arg: { kind: "index", required: true },
    check: (name, arg) =>
      arg === undefined
        ? `filter syntax error: ${name}`
        : isScannedInt(arg)
          ? undefined
          : `${arg} is not a valid number`,
  },
  "evt.around": {
    arg: { kind: "index", required: true },
    check: (name, arg) =>
      arg === undefined
        ? `filter syntax error: ${name}`
        : isScannedInt(arg)
          ? undefined
          : `${arg} is not a valid number`,
  },
  "evt.rawarg": {
    check: (name, arg) =>
      arg === undefined ? `filter syntax error: ${name}` : "evt.arg fields must be expressed explicitly",
  },
  "evt.type.is": DOTTED_ONLY,
  "thread.cgroup": DOTTED_ONLY,
};

/** The event parameter `evt.arg.<text>` names: libsinsp takes the longest parameter name `text` starts with. */
export function longestEventParam(text: string): { name: string; ptype: ParamType } | undefined {
  let best: string | undefined;
  for (const p of Object.keys(EVENT_PARAMS)) {
    if (text.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
  }
  return best === undefined ? undefined : { name: best, ptype: EVENT_PARAMS[best]! };
}

const EVENT_TABLE = new Set(EVENT_TABLE_NAMES);

/** `evt.type.is.<name>` accepts an event-table name (or a numeric event code, which the lexer never yields). */
export function isEventTableName(s: string): boolean {
  return EVENT_TABLE.has(s) || /^[0-9]+$/.test(s);
}

/** `thread.cgroup.<subsystem>`: libsinsp reads letters and `_` only; anything else ends the field early. */
export function isCgroupSubsystem(s: string): boolean {
  return /^[a-zA-Z_]+$/.test(s);
}
