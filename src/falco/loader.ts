// Loads Falco rules files as Falco does, one file at a time: reading collects the file's lists,
// macros and rules into the definitions of the files before it (reader.ts), then everything
// collected so far is linked into rules (linker.ts). A file's error stops the load; the
// warnings of the files loaded before it stay reported, as Falco prints them per file.
import {
  DEFAULT_PLUGINS,
  ENGINE_VERSION,
  type LoadedRule,
  type LoadOptions,
  type LoadResult,
  Problems,
  type RulesFile,
} from "./definitions.js";
import { K8S_AUDIT_SOURCE, SYSCALL_SOURCE } from "./fields/index.js";
import { linkRules } from "./linker.js";
import { RulesReader } from "./reader.js";
import { checkPluginRequirements } from "./requirements.js";

export function loadRules(files: RulesFile[], opts: LoadOptions = {}): LoadResult {
  const problems = new Problems();
  const sources = new Set(opts.sources ?? [SYSCALL_SOURCE, K8S_AUDIT_SOURCE]);
  const reader = new RulesReader({ engineVersion: opts.engineVersion ?? ENGINE_VERSION, sources }, problems);
  let rules: LoadedRule[] = [];
  let failedFileStart: number | undefined;
  for (const f of files) {
    const start = problems.list.length;
    reader.readFile(f);
    // each file's load compiles everything read so far, so its warnings include earlier files' rules
    if (!problems.hasErrors()) rules = linkRules(reader.items, sources, problems, opts.language);
    if (problems.hasErrors()) {
      failedFileStart = start;
      break;
    }
  }
  // Plugin requirements are checked once the files are loaded; an unmet one is the error
  // reported, in place of the failing file's problems.
  const reqs = new Problems();
  checkPluginRequirements(reader.pluginReqs, opts.plugins ?? DEFAULT_PLUGINS, reqs);
  if (reqs.hasErrors()) {
    if (failedFileStart !== undefined) problems.truncate(failedFileStart);
    problems.list.push(...reqs.list);
  }
  return { rules: problems.hasErrors() ? [] : rules, problems: problems.list };
}
