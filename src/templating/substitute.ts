/**
 * `${VAR}` / `$VAR` substitution from a per-event variable map (talon.md §2.6).
 * Never reads or writes process.env. In shell mode every value is single-quoted,
 * so event content can never change the structure of a command.
 */
import type { FalcoEvent } from "../events/event.js";
import { fieldText } from "../events/fields.js";

export type TemplateVars = ReadonlyMap<string, string>;

/** `fd.name` → `FD_NAME`, `proc.aname[2]` → `PROC_ANAME_2`. */
export function outputFieldVarName(key: string): string {
  return key.toUpperCase().replaceAll(".", "_").replaceAll("[", "_").replaceAll("]", "");
}

/** `node.hostname` → `NODE_HOSTNAME`, `falco-talon.rule` → `FALCO-TALON_RULE`. */
export function contextVarName(key: string): string {
  return key.toUpperCase().replaceAll(".", "_");
}

/** The variables Talon exports for an event, built into a fresh map. */
export function buildVars(event: FalcoEvent): TemplateVars {
  const vars = new Map<string, string>();
  for (const [k, v] of Object.entries(event.output_fields)) vars.set(outputFieldVarName(k), fieldText(v));
  for (const [k, v] of Object.entries(event.context)) vars.set(contextVarName(k), fieldText(v));
  vars.set("PRIORITY", event.priority);
  vars.set("HOSTNAME", event.hostname);
  vars.set("RULE", event.rule);
  vars.set("SOURCE", event.source);
  vars.set("TAGS", event.tags.join(","));
  return vars;
}

/** POSIX shell single-quoting: the result is always one literal word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

// Go's os.Expand: ${...} takes anything up to `}`; $NAME takes [A-Za-z0-9_]+ or one special char.
const VAR_RE = /\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?\-0-9]))/g;

export interface SubstituteOptions {
  /** `shell`: quote each substituted value for POSIX sh. `raw`: insert as is. */
  mode: "shell" | "raw";
}

/** Quotes a value for the shell quoting state it is inserted into. */
function quoteFor(state: "none" | "single" | "double", value: string): string {
  if (state === "single") return value.replaceAll("'", `'\\''`);
  if (state === "double") return value.replace(/[\\$`"]/g, (c) => `\\${c}`);
  return shellQuote(value);
}

/**
 * Substitutes variables; unknown ones become "" (as Talon does).
 * In shell mode the template is scanned for quoting state, so `${X}`, `"${X}"` and
 * `'${X}'` all insert X's value as literal text of one word.
 */
export function substitute(template: string, vars: TemplateVars, opts: SubstituteOptions): string {
  if (opts.mode === "raw") {
    return template.replace(
      VAR_RE,
      (_m, b?: string, p?: string, s?: string) => vars.get(b ?? p ?? s ?? "") ?? "",
    );
  }
  let out = "";
  let state: "none" | "single" | "double" = "none";
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (state !== "single" && c === "\\" && i + 1 < template.length) {
      out += c + template[i + 1];
      i += 2;
      continue;
    }
    if (c === "'" && state !== "double") {
      state = state === "single" ? "none" : "single";
    } else if (c === '"' && state !== "single") {
      state = state === "double" ? "none" : "double";
    } else if (c === "$") {
      VAR_RE.lastIndex = i;
      const m = VAR_RE.exec(template);
      if (m && m.index === i) {
        const value = vars.get(m[1] ?? m[2] ?? m[3] ?? "") ?? "";
        out += quoteFor(state, value);
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}
