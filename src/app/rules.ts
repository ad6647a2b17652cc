/**
 * Loading rules for the running engine (parse + structural + semantic validation) and
 * hot reload: rules files AND their folders are watched (ConfigMap `..data` symlink
 * swaps, renames and writes), debounced, and only fully valid rules go live. A rules path
 * may be a folder: its `*.yaml`/`*.yml` files load in name order, and files added to or
 * removed from it are picked up on reload.
 */
import { createHash } from "node:crypto";
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import { findActionner } from "../actionners/registry.js";
import { findContext } from "../contexts/registry.js";
import { expandRulesPaths, isFolder } from "../files/rules-paths.js";
import { findOutput } from "../outputs/registry.js";
import type { PluginEnv } from "../plugins/types.js";
import { formatProblem, loadRules, validateRules } from "../rules/index.js";
import type { RuleSet } from "../rules/types.js";

export interface LoadedRules {
  ruleset?: RuleSet;
  errors: string[];
  warnings: string[];
}

export const registry = { findActionner, findOutput, findContext };

/** Loads and validates; `env` enables output checks (folders, buckets). */
export async function loadValidRules(files: string[], env?: Omit<PluginEnv, "signal">): Promise<LoadedRules> {
  const loaded = loadRules(files);
  const warnings = loaded.warnings.map(formatProblem);
  if (!loaded.ruleset || loaded.problems.length > 0) {
    return { errors: loaded.problems.map(formatProblem), warnings };
  }
  const problems = await validateRules(loaded.ruleset, registry, env);
  if (problems.length > 0) return { errors: problems.map(formatProblem), warnings };
  return { ruleset: loaded.ruleset, errors: [], warnings };
}

/** What the rules paths hold now: the files a folder expands to, and their contents. */
function fingerprint(paths: string[]): string {
  const h = createHash("sha256");
  for (const f of expandRulesPaths(paths)) {
    h.update(f);
    h.update("\0");
    try {
      h.update(readFileSync(f));
    } catch {
      h.update(`missing:${f}`);
    }
    h.update("\0");
  }
  return h.digest("hex");
}

export interface RulesWatcherOptions {
  files: string[];
  logger: Logger;
  debounceMs?: number;
  /** Poll as a safety net for file systems where watch events get lost. */
  pollMs?: number;
  load: (files: string[]) => Promise<LoadedRules>;
  onReload: (ruleset: RuleSet) => Promise<void> | void;
}

/** Watches rules files and their folders; returns a function that stops watching. */
export function watchRules(opts: RulesWatcherOptions): () => void {
  const { files, logger } = opts;
  const debounceMs = opts.debounceMs ?? 1000;
  let current = fingerprint(files);
  let timer: NodeJS.Timeout | undefined;
  let reloading = false;
  let again = false;
  const watchers: FSWatcher[] = [];

  const reload = async () => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    try {
      const next = fingerprint(files);
      if (next === current) return;
      const result = await opts.load(files);
      for (const w of result.warnings) logger.warn({ warning: w }, "rules");
      if (!result.ruleset) {
        for (const e of result.errors) logger.error({ error: e }, "rules");
        logger.error({ error: "invalid rules" }, "rules reload failed, the previous rules stay in force");
        current = next; // do not retry the same broken content in a loop
        return;
      }
      await opts.onReload(result.ruleset);
      current = next;
      const n = result.ruleset.rules.length;
      logger.info({ rules: n }, `${n} ${n === 1 ? "rule has" : "rules have"} been successfully reloaded`);
    } catch (err) {
      logger.error({ error: (err as Error).message }, "rules reload failed");
    } finally {
      reloading = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };

  // A rules folder is watched itself; a rules file through its folder (renames, symlink swaps).
  const dirs = new Set(files.map((f) => (isFolder(f) ? resolve(f) : dirname(resolve(f)))));
  for (const dir of dirs) {
    try {
      const w = watch(dir, { persistent: false }, () => schedule());
      w.on("error", (err) => logger.warn({ error: err.message, folder: dir }, "rules watcher error"));
      watchers.push(w);
    } catch (err) {
      logger.warn({ error: (err as Error).message, folder: dir }, "cannot watch the rules folder");
    }
  }
  const poll = setInterval(() => {
    if (fingerprint(files) !== current) schedule();
  }, opts.pollMs ?? 5000);
  poll.unref();

  return () => {
    clearInterval(poll);
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
