/**
 * Loading the configuration: file (YAML) + environment variables (talon.md §3).
 * Unlike viper, every key can be set from the environment even when absent from the file.
 */
import { existsSync, readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { type Config, configSchema } from "./schema.js";

export const DEFAULT_CONFIG_PATH = "/etc/falco-talon/config.yaml";

export class ConfigError extends Error {}

export interface LoadConfigOptions {
  /** Path given with -c, or undefined for none. */
  file?: string;
  /** True when `file` is the built-in default path (a missing default file is only a warning). */
  fileIsDefault?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

type Plain = Record<string, unknown>;

/** Leaf key paths of the schema, found from its defaults (`notifiers` is a free map, handled apart). */
function leafPaths(obj: Plain, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (prefix.length === 0 && k === "notifiers") continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v))
      out.push(...leafPaths(v as Plain, [...prefix, k]));
    else out.push([...prefix, k]);
  }
  return out;
}

const LEAF_PATHS = leafPaths(configSchema.parse({}) as Plain);

function setPath(obj: Plain, path: string[], value: unknown): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[path[path.length - 1]!] = value;
}

/** Lower-cases map keys below `notifiers` (viper does), so `Slack:` works like `slack:`. */
function normaliseNotifiers(raw: Plain): void {
  const n = raw.notifiers;
  if (n === null || typeof n !== "object" || Array.isArray(n)) return;
  const out: Plain = {};
  for (const [name, settings] of Object.entries(n as Plain)) {
    const s: Plain = {};
    if (settings && typeof settings === "object" && !Array.isArray(settings)) {
      for (const [k, v] of Object.entries(settings as Plain)) s[k.toLowerCase()] = v;
    }
    out[name.toLowerCase()] = s;
  }
  raw.notifiers = out;
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  let raw: Plain = {};
  let doc: ReturnType<typeof parseDocument> | undefined;
  const lineCounter = new LineCounter();

  if (opts.file) {
    if (!existsSync(opts.file)) {
      if (!opts.fileIsDefault) throw new ConfigError(`config file '${opts.file}' does not exist`);
      warnings.push(
        `config file '${opts.file}' not found, using built-in defaults and environment variables`,
      );
    } else {
      const text = readFileSync(opts.file, "utf8");
      doc = parseDocument(text, { lineCounter, prettyErrors: false });
      if (doc.errors.length > 0) {
        const e = doc.errors[0]!;
        const { line, col } = lineCounter.linePos(e.pos[0]);
        throw new ConfigError(`${opts.file}:${line}:${col}: ${e.message.split("\n")[0]}`);
      }
      const js = doc.toJS();
      if (js !== null && js !== undefined) {
        if (typeof js !== "object" || Array.isArray(js)) {
          throw new ConfigError(`${opts.file}:1:1: the configuration must be a map of keys`);
        }
        raw = js as Plain;
      }
    }
  }

  normaliseNotifiers(raw);

  for (const path of LEAF_PATHS) {
    const name = path.join("_").toUpperCase();
    const v = env[name];
    if (v !== undefined) setPath(raw, path, v);
  }
  for (const [name, v] of Object.entries(env)) {
    // NOTIFIERS_<NAME>_<SETTING>: notifier names have no underscore, settings may.
    const m = /^NOTIFIERS_([A-Z0-9]+)_(.+)$/.exec(name);
    if (m && v !== undefined) setPath(raw, ["notifiers", m[1]!.toLowerCase(), m[2]!.toLowerCase()], v);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join(".");
      let where = "";
      if (doc && opts.file) {
        const node = doc.getIn(issue.path as (string | number)[], true) as
          | { range?: [number, number] }
          | undefined;
        const parent = doc.getIn(issue.path.slice(0, -1) as (string | number)[], true);
        const offset = node?.range?.[0] ?? (isMap(parent) || isSeq(parent) ? parent.range?.[0] : undefined);
        if (offset !== undefined) {
          const { line, col } = lineCounter.linePos(offset);
          where = `${opts.file}:${line}:${col}: `;
        }
      }
      return `${where}${key}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
  }
  return { config: parsed.data, warnings };
}
