/**
 * What the command line needs before (or without) validating a configuration: the default path,
 * the error type, the environment variable of a key, and the log format a fatal error is printed
 * in. Kept apart from the loader so a command that needs no configuration schema (`detect`
 * without a config) does not load one.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";

export const DEFAULT_CONFIG_PATH = "/etc/falco-talon/config.yaml";

/** The environment variable of a config key (listen_port → LISTEN_PORT, falco.hostname → FALCO_HOSTNAME). */
export function envName(path: readonly string[]): string {
  return path.join("_").toUpperCase();
}

/** An unusable configuration; `problems` holds one line per problem. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/**
 * The log format a failed start should use for its fatal error: `LOG_FORMAT`, else the
 * file's `log_format` (read leniently: the file may be the thing that is broken).
 */
export function peekLogFormat(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LOG_FORMAT?.trim().toLowerCase();
  if (fromEnv) return fromEnv;
  if (!file) return "color";
  try {
    const doc = parseDocument(readFileSync(file, "utf8"));
    const v = doc.get("log_format");
    return typeof v === "string" ? v.trim().toLowerCase() : "color";
  } catch {
    return "color";
  }
}
