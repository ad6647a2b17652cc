/**
 * `falco-talon rules check`: the validation the server runs at startup and on every reload
 * (src/app/rules.ts loadValidRules), with the same configuration, so "valid" means the
 * server starts with these rules.
 */
import { pino } from "pino";
import { loadValidRules } from "../app/rules.js";
import { ConfigError, type LoadedConfig, loadConfig } from "../config/load.js";
import { lazyKubeClient } from "../kube/client.js";
import { createLogger } from "../logging/logger.js";

export interface CheckOptions {
  /** -c; none by default (as Talon's `rules check`). */
  configFile?: string;
  /** -r; overrides rules_files when non-empty. */
  rules: string[];
  env?: NodeJS.ProcessEnv;
}

export interface CheckResult {
  valid: boolean;
  /** What to print: warnings, every problem (file and position order), then the verdict. */
  lines: string[];
}

export async function checkRules(opts: CheckOptions): Promise<CheckResult> {
  const lines: string[] = [];
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ file: opts.configFile, env: opts.env ?? process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    lines.push(...err.problems, "invalid configuration");
    return { valid: false, lines };
  }
  const { config, warnings, origin } = loaded;
  const files = opts.rules.length > 0 ? opts.rules : config.rules_files;
  // Plug-in checks may log; stdout is the report.
  const logger = createLogger(config.log_format, "warn", pino.destination({ dest: 2, sync: true }));
  const result = await loadValidRules(
    files,
    { config, logger, kube: lazyKubeClient(config.kubeconfig) },
    origin,
  );
  for (const w of [...warnings, ...result.warnings]) lines.push(`warning: ${w}`);
  if (!result.ruleset) {
    lines.push(...result.errors, "invalid rules");
    return { valid: false, lines };
  }
  lines.push("rules file valid");
  return { valid: true, lines };
}
