// Loads Falco rules files: reading collects lists, macros and rules across the files in order
// (reader.ts), then linking compiles them into rules (linker.ts). Errors stop the load.
import {
  DEFAULT_PLUGINS,
  ENGINE_VERSION,
  type LoadOptions,
  type LoadResult,
  Problems,
  type RulesFile,
} from "./definitions.js";
import { K8S_AUDIT_SOURCE, SYSCALL_SOURCE } from "./fields/index.js";
import { linkRules } from "./linker.js";
import { readRules } from "./reader.js";

export function loadRules(files: RulesFile[], opts: LoadOptions = {}): LoadResult {
  const problems = new Problems();
  const items = readRules(
    files,
    { engineVersion: opts.engineVersion ?? ENGINE_VERSION, plugins: opts.plugins ?? DEFAULT_PLUGINS },
    problems,
  );
  if (problems.hasErrors()) return { rules: [], problems: problems.list };
  const sources = new Set(opts.sources ?? [SYSCALL_SOURCE, K8S_AUDIT_SOURCE]);
  return { rules: linkRules(items, sources, problems), problems: problems.list };
}
