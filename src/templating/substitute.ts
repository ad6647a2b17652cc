/**
 * `${VAR}` / `$VAR` substitution from a per-event variable map, named as Talon names them.
 * Never reads or writes process.env. In shell mode values are handed to the shell as
 * variables and never become part of the shell code.
 */
import type { FalcoEvent } from "../events/event.js";
import { fieldText } from "../events/fields.js";
import { renderShellTemplate } from "./shell-template.js";

export { shellQuote } from "./quote.js";

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

// Go's os.Expand: ${...} takes anything up to `}`; $NAME takes [A-Za-z0-9_]+ or one special char.
const VAR_RE = /\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?\-0-9]))/g;

export interface SubstituteOptions {
  /**
   * `shell`: the text is shell code; values reach the shell as variables, never as code
   * (see shell-template.ts). `raw`: values are inserted as is, for non-shell uses.
   */
  mode: "shell" | "raw";
}

/**
 * Substitutes variables; unknown ones become "" (as Talon does). In shell mode the result is
 * the shell text that defines each variable used as a single-quoted assignment and then runs
 * the template with its references rewritten to those shell variables; it throws for a template
 * that uses a variable where the shell would evaluate it (see checkShellTemplate).
 */
export function substitute(template: string, vars: TemplateVars, opts: SubstituteOptions): string {
  if (opts.mode === "shell") return renderShellTemplate(template, vars);
  return template.replace(
    VAR_RE,
    (_m, b?: string, p?: string, s?: string) => vars.get(b ?? p ?? s ?? "") ?? "",
  );
}
