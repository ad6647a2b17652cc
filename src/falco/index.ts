// Public API of the Falco rule engine (k8s_audit, JSON plugin sources and syscall-style JSON events).

import { readFileSync } from "node:fs";
import { errorText } from "../error-text.js";
import { stringifyJsonExact } from "../events/json.js";
import { expandRulesPaths } from "../files/rules-paths.js";
import type { FalcoProblem, LoadOptions } from "./definitions.js";
import { Engine, type EngineOptions, type FalcoAlert, FalcoInputError } from "./engine.js";
import { loadRules } from "./loader.js";
import {
  DEFAULT_RELEASE,
  engineVersionOf,
  type FalcoRelease,
  languageOf,
  problemsAsRelease,
} from "./releases.js";

export { compileFilter } from "./compiler.js";
export { DEFAULT_PLUGINS, ENGINE_VERSION, PRIORITIES } from "./definitions.js";
export { runDetect } from "./detect.js";
export { fieldTableFor } from "./fields/index.js";
export { loadRules } from "./loader.js";
export { parseCondition } from "./parser.js";
export { FALCO_RELEASES, type FalcoRelease, parseFalcoRelease, releaseError } from "./releases.js";
export { DEFAULT_SETTINGS, type FalcoSettings } from "./settings.js";
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

export interface LoadFalcoRulesOptions extends EngineOptions, Omit<LoadOptions, "engineVersion"> {
  /** load as this Falco release does: its engine version for `required_engine_version`, its deprecation warnings */
  release?: FalcoRelease;
}

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
  const release = opts.release ?? DEFAULT_RELEASE;
  const loaded = loadRules(files, {
    ...opts,
    engineVersion: engineVersionOf(release),
    language: languageOf(release),
  });
  const { rules } = loaded;
  const problems = problemsAsRelease(loaded.problems, release);
  if (problems.some((p) => p.severity === "error")) return { problems };
  return { engine: new Engine(rules, opts), problems };
}

/** "file:line:col: error CODE: message" */
export function formatProblem(p: FalcoProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity} ${p.code}: ${p.message}`;
}

/** Which optional keys a JSON alert carries (Falco's json_include_output_property / json_include_tags_property). */
export interface AlertJsonOptions {
  output?: boolean;
  tags?: boolean;
}

/** A Falco JSON alert line (keys in Falco's order, output_fields sorted). */
export function formatAlertJson(a: FalcoAlert, opts: AlertJsonOptions = {}): string {
  const keys = Object.keys(a.output_fields).sort();
  let fields = "";
  for (const k of keys) {
    // exact: ns integers (evt.rawtime, evt.time) are JsonNumbers past 2^53
    fields += `${fields === "" ? "" : ","}${JSON.stringify(k)}:${stringifyJsonExact(a.output_fields[k])}`;
  }
  let line = `{"hostname":${JSON.stringify(a.hostname)}`;
  if (opts.output !== false) line += `,"output":${JSON.stringify(a.output)}`;
  line += `,"output_fields":{${fields}},"priority":${JSON.stringify(a.priority)},"rule":${JSON.stringify(a.rule)},"source":${JSON.stringify(a.source)}`;
  if (opts.tags !== false) line += `,"tags":${JSON.stringify(a.tags)}`;
  return `${line},"time":${JSON.stringify(a.time)}}`;
}

/** CLI `rules check --falco`: prints every problem as `release` reports it; exit 1 on any error. */
export function runFalcoRulesCheck(
  files: string[],
  out: (line: string) => void,
  release: FalcoRelease = DEFAULT_RELEASE,
): number {
  const { problems } = loadFalcoRules(files, { release });
  for (const p of problems) out(formatProblem(p));
  return problems.some((p) => p.severity === "error") ? 1 : 0;
}
