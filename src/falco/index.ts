// Public API of the Falco rule engine (k8s_audit, JSON plugin sources and syscall-style JSON events).

import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { errorText } from "../error-text.js";
import { stringifyJsonExact } from "../events/json.js";
import { expandRulesPaths } from "../files/rules-paths.js";
import type { FalcoProblem, LoadOptions } from "./definitions.js";
import { Engine, type EngineOptions, type FalcoAlert, FalcoInputError } from "./engine.js";
import { loadRules } from "./loader.js";

export { compileFilter } from "./compiler.js";
export { DEFAULT_PLUGINS, ENGINE_VERSION, PRIORITIES } from "./definitions.js";
export { fieldTableFor } from "./fields/index.js";
export { loadRules } from "./loader.js";
export { parseCondition } from "./parser.js";
export type { FalcoAlert, FalcoProblem };
export { FalcoInputError };

export interface FalcoEngine {
  /** Accepts what the Kubernetes audit webhook sends: an audit.k8s.io EventList or a single Event (already JSON-parsed). Throws FalcoInputError with message `data not recognized as a k8s audit event` on malformed input. */
  processK8sAudit(body: unknown): FalcoAlert[];
  /** Evaluates one JSON event against rules of the given source. */
  processJson(event: unknown, source: string): FalcoAlert[];
  ruleCount(): number;
  ruleNames(): string[];
}

export interface LoadFalcoRulesOptions extends EngineOptions, LoadOptions {}

/** Loads rules files (or folders of them) in order into one engine; `engine` is undefined when there are errors. */
export function loadFalcoRules(
  files: string[],
  opts: LoadFalcoRulesOptions = {},
): { engine?: FalcoEngine; problems: FalcoProblem[] } {
  const sources: { path: string; content: string }[] = [];
  // Like Falco's rules_files: a folder stands for its rules files in name order.
  for (const f of expandRulesPaths(files)) {
    let content: string;
    try {
      content = readFileSync(f, "utf8");
    } catch (e) {
      const problem: FalcoProblem = {
        severity: "error",
        code: "LOAD_ERR_FILE_READ",
        message: `could not read rules file: ${errorText(e)}`,
        file: f,
        line: 1,
        col: 1,
      };
      return { problems: [problem] };
    }
    sources.push({ path: f, content });
  }
  return loadFalcoRulesFromStrings(sources, opts);
}

/** Same as {@link loadFalcoRules} with the file contents given. */
export function loadFalcoRulesFromStrings(
  files: { path: string; content: string }[],
  opts: LoadFalcoRulesOptions = {},
): { engine?: FalcoEngine; problems: FalcoProblem[] } {
  const { rules, problems } = loadRules(files, opts);
  if (problems.some((p) => p.severity === "error")) return { problems };
  return { engine: new Engine(rules, opts), problems };
}

/** "file:line:col: error CODE: message" */
export function formatProblem(p: FalcoProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity} ${p.code}: ${p.message}`;
}

/** A Falco JSON alert line (keys in Falco's order, output_fields sorted). */
export function formatAlertJson(a: FalcoAlert): string {
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(a.output_fields).sort()) fields[k] = a.output_fields[k];
  // exact: ns integers (evt.rawtime, evt.time) are JsonNumbers past 2^53
  return stringifyJsonExact({
    hostname: a.hostname,
    output: a.output,
    output_fields: fields,
    priority: a.priority,
    rule: a.rule,
    source: a.source,
    tags: a.tags,
    time: a.time,
  });
}

/** Reads audit events: a whole-file JSON value (EventList/Event/array), else one JSON value per line. */
function readEventValues(text: string, out: (line: string) => void): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    // not a single JSON document: JSON lines
  }
  const values: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      values.push(JSON.parse(line));
    } catch (e) {
      out(`events:${i + 1}: invalid JSON: ${errorText(e)}`);
    }
  });
  return values;
}

/** CLI `detect`: replays audit events through the rules, printing alerts as Falco JSON lines. */
export async function runDetect(opts: {
  rules: string[];
  events: string;
  out: (line: string) => void;
  /** The alerts' `hostname`, as Falco prints its host's (default: this machine's). */
  hostname?: string;
}): Promise<number> {
  const { engine, problems } = loadFalcoRules(opts.rules, { hostname: opts.hostname ?? osHostname() });
  if (!engine) {
    for (const p of problems) opts.out(formatProblem(p));
    return 1;
  }
  let text: string;
  try {
    text = readFileSync(opts.events, "utf8");
  } catch (e) {
    opts.out(`could not read events file: ${errorText(e)}`);
    return 1;
  }
  for (const v of readEventValues(text, opts.out)) {
    try {
      for (const a of engine.processK8sAudit(v)) opts.out(formatAlertJson(a));
    } catch (e) {
      if (e instanceof FalcoInputError) opts.out(e.message);
      else throw e;
    }
  }
  return 0;
}

/** CLI `rules check --falco`: prints every problem; exit 1 on any error. */
export function runFalcoRulesCheck(files: string[], out: (line: string) => void): number {
  const { problems } = loadFalcoRules(files);
  for (const p of problems) out(formatProblem(p));
  return problems.some((p) => p.severity === "error") ? 1 : 0;
}
