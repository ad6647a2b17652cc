/**
 * Loading rules for the running engine (parse + structural + semantic validation) and
 * hot reload: rules files AND their folders are watched (ConfigMap `..data` symlink
 * swaps, renames and writes), debounced, and only fully valid rules go live. A rules path
 * may be a folder: its `*.yaml`/`*.yml` files load in name order, and files added to or
 * removed from it are picked up on reload. The server's rule set in force (LiveRules) lives
 * here too, with the `init` of the plug-ins each new rule set uses.
 */
import { createHash } from "node:crypto";
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { errorText } from "../error-text.js";
import { expandRulesPaths, isFolder } from "../files/rules-paths.js";
import type { PluginEnv } from "../plugins/types.js";
import { formatProblem, loadRules, validateRules } from "../rules/index.js";
import { sortProblems } from "../rules/load.js";
import type { RuleProblem, RuleSet, SourcePos } from "../rules/types.js";
import { unknownKeys } from "../validation/keys.js";
import { closest } from "../validation/suggest.js";
import { pathText, zodProblems } from "../validation/zod-errors.js";
import { StartupError } from "./errors.js";
import { builtinPlugins, type PluginCatalog } from "./plugins.js";

export interface LoadedRules {
  ruleset?: RuleSet;
  errors: string[];
  warnings: string[];
}

/** Where a configuration key was set (`file:line:col`, `env NAME`), see LoadedConfig.origin. */
export type ConfigOrigin = (path: readonly (string | number)[]) => string | undefined;

/**
 * The one validation behind `server` (startup and every reload) and `rules check`: the rules
 * files (syntax, schema, unknown keys, structure), the plug-ins they use (actionners,
 * parameters, outputs and, with `env`, the outputs' checks such as local:file's folder), and,
 * with `env`, the notifiers they and `default_notifiers` name, with their settings. Every
 * problem of every file is returned, once, in file and position order; the rules are
 * returned only when there is none.
 */
export async function loadValidRules(
  files: string[],
  env?: Omit<PluginEnv, "signal">,
  origin?: ConfigOrigin,
  plugins: PluginCatalog = builtinPlugins,
): Promise<LoadedRules> {
  const loaded = loadRules(files);
  const problems = [...loaded.problems];
  const warnings = [...loaded.warnings];
  if (loaded.partial) problems.push(...(await validateRules(loaded.partial, plugins, env, warnings)));
  if (env) checkNotifiers(loaded.partial, env.config, plugins, origin, problems, warnings);
  const order = loaded.files ?? files;
  const errors = sortProblems(problems, order).map(formatProblem);
  const warningLines = sortProblems(warnings, order).map(formatProblem);
  if (errors.length > 0 || !loaded.ruleset) return { errors, warnings: warningLines };
  return { ruleset: loaded.ruleset, errors, warnings: warningLines };
}

/** A problem placed where the configuration key was set. */
function configProblem(
  origin: ConfigOrigin | undefined,
  path: (string | number)[],
  reason: string,
  named = true,
): RuleProblem {
  const where = origin?.(path);
  const text = named ? `${pathText(path)}: ${reason}` : reason;
  const m = where ? /^(.*):(\d+):(\d+)$/.exec(where) : null;
  if (m) return { pos: { file: m[1]!, line: Number(m[2]), col: Number(m[3]) }, message: text };
  const nowhere: SourcePos = { file: "", line: 0, col: 0 };
  // An environment variable is named instead of the key (it is what must be fixed).
  if (where) return { pos: nowhere, message: `${where}: ${reason}` };
  return { pos: nowhere, message: text };
}

/**
 * `default_notifiers` must name notifiers, and every notifier in use (default or named by a
 * rule) must have valid settings. Settings of unknown notifiers and unknown settings keys are
 * warnings.
 */
function checkNotifiers(
  ruleset: RuleSet | undefined,
  config: Config,
  plugins: PluginCatalog,
  origin: ConfigOrigin | undefined,
  problems: RuleProblem[],
  warnings: RuleProblem[],
): void {
  const known = plugins.names().notifiers;
  const hint = (name: string) => {
    const c = closest(name, known);
    return c ? `, did you mean '${c}'?` : "";
  };
  const used = new Map<string, string | undefined>();
  for (const [i, name] of config.default_notifiers.entries()) {
    if (plugins.findNotifier(name)) used.set(name.toLowerCase(), undefined);
    else
      problems.push(
        configProblem(origin, ["default_notifiers", i], `unknown notifier '${name}'${hint(name)}`),
      );
  }
  for (const rule of ruleset?.rules ?? []) {
    for (const name of rule.notifiers) {
      const key = name.toLowerCase();
      if (plugins.findNotifier(name) && !used.has(key)) used.set(key, rule.name);
    }
  }
  for (const [name, settings] of Object.entries(config.notifiers)) {
    const notifier = plugins.findNotifier(name);
    if (!notifier) {
      const reason = `settings of an unknown notifier '${name}' are ignored${hint(name)}`;
      warnings.push(configProblem(origin, ["notifiers", name], reason, false));
      continue;
    }
    for (const u of unknownKeys(notifier.parameters, settings)) {
      const path = ["notifiers", name, ...(u.path as (string | number)[])];
      const suggestion = u.suggestion ? `, did you mean '${u.suggestion}'?` : "";
      warnings.push(configProblem(origin, path, `unknown key '${pathText(path)}'${suggestion}`, false));
    }
  }
  for (const [name, rule] of used) {
    const notifier = plugins.findNotifier(name)!;
    const settings = config.notifiers[name] ?? {};
    const parsed = notifier.parameters.safeParse(settings);
    if (parsed.success) continue;
    const user = rule === undefined ? "default_notifiers" : `the rule '${rule}'`;
    for (const p of zodProblems(parsed.error, settings)) {
      const path = ["notifiers", name, ...(p.path as (string | number)[])];
      problems.push(configProblem(origin, path, `${p.reason} (notifier '${name}' is used by ${user})`));
    }
  }
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
  /** A reload that did not take effect, with every problem (the operator console shows them). */
  onFailed?: (problems: string[]) => void;
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
        opts.onFailed?.(result.errors);
        current = next; // do not retry the same broken content in a loop
        return;
      }
      await opts.onReload(result.ruleset);
      current = next;
      const n = result.ruleset.rules.length;
      logger.info({ rules: n }, `${n} ${n === 1 ? "rule has" : "rules have"} been successfully reloaded`);
    } catch (err) {
      logger.error({ error: errorText(err) }, "rules reload failed");
      opts.onFailed?.([errorText(err)]);
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
      logger.warn({ error: errorText(err), folder: dir }, "cannot watch the rules folder");
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

export interface LiveRulesOptions {
  files: string[];
  env: Omit<PluginEnv, "signal">;
  origin?: ConfigOrigin;
  logger: Logger;
  plugins: PluginCatalog;
}

/**
 * The rule set in force. `loadLiveRules` validates the rules files and runs the `init` of the
 * plug-ins they use; `watch` puts each valid change live the same way, after its new plug-ins'
 * `init`. `current` is what the pipeline reads for each event.
 */
export interface LiveRules {
  readonly current: () => RuleSet;
  /** The last load or reload: when, whether it took effect, and every problem of a failed one. */
  readonly lastReload: () => ReloadState;
  /** Starts hot reload; returns a function that stops it. */
  watch(): () => void;
}

export interface ReloadState {
  time: Date;
  ok: boolean;
  problems: string[];
}

/** Loads the rules for `server`; invalid rules are a StartupError, each problem logged first. */
export async function loadLiveRules(opts: LiveRulesOptions): Promise<LiveRules> {
  const { files, env, origin, logger, plugins } = opts;
  const load = (f: string[]) => loadValidRules(f, env, origin, plugins);
  const loaded = await load(files);
  for (const w of loaded.warnings) logger.warn({ warning: w }, "rules");
  if (!loaded.ruleset) {
    for (const e of loaded.errors) logger.error({ error: e }, "rules");
    throw new StartupError("invalid rules");
  }
  let ruleset = loaded.ruleset;
  const initialised = new Set<string>();
  await initPlugins(ruleset, env, plugins, initialised);
  const n = ruleset.rules.length;
  logger.info({ rules: n }, `${n} ${n === 1 ? "rule has" : "rules have"} been successfully loaded`);
  let last: ReloadState = { time: new Date(), ok: true, problems: [] };
  return {
    current: () => ruleset,
    lastReload: () => last,
    watch: () =>
      watchRules({
        files,
        logger,
        load,
        onReload: async (next) => {
          await initPlugins(next, env, plugins, initialised);
          ruleset = next;
          last = { time: new Date(), ok: true, problems: [] };
        },
        onFailed: (problems) => {
          last = { time: new Date(), ok: false, problems };
        },
      }),
  };
}

/**
 * Runs each used actionner category's `init` once, and each used output's `init` once, across
 * the first load and every reload (`done` remembers them).
 */
async function initPlugins(
  ruleset: RuleSet,
  env: Omit<PluginEnv, "signal">,
  plugins: PluginCatalog,
  done: Set<string>,
): Promise<void> {
  for (const rule of ruleset.rules) {
    for (const action of rule.actions) {
      const actionner = plugins.findActionner(action.actionner);
      if (actionner?.init) {
        const key = `actionner-category:${actionner.info.category}`;
        if (!done.has(key)) {
          done.add(key);
          await actionner.init(env);
        }
      }
      // An output is found by its full name, so the target names it.
      const target = action.output?.target;
      const output = target === undefined ? undefined : plugins.findOutput(target);
      if (output?.init) {
        const key = `output:${target}`;
        if (!done.has(key)) {
          done.add(key);
          await output.init(env);
        }
      }
    }
  }
}
