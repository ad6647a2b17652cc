/**
 * Loading the configuration: file (YAML) + environment variables (README, Configuration).
 * Unlike viper, every key can be set from the environment even when absent from the file.
 */
import { existsSync, readFileSync } from "node:fs";
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { unknownKeys } from "../validation/keys.js";
import { pathText, zodProblems } from "../validation/zod-errors.js";
import { ConfigError, envName } from "./peek.js";
import { type Config, configSchema } from "./schema.js";

export { ConfigError, DEFAULT_CONFIG_PATH, peekLogFormat } from "./peek.js";

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
  /**
   * Where a configuration key was set: `file:line:col` for the file, `env NAME` for an
   * environment variable, undefined for a default.
   */
  origin(path: readonly (string | number)[]): string | undefined;
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

/** `file:line:col` of a node in a parsed config file. */
function nodeWhere(file: string, lineCounter: LineCounter, offset: number | undefined): string | undefined {
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return `${file}:${line}:${col}`;
}

/** The offset of the node at `path`, or of its nearest map/list ancestor. */
function offsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number] } | undefined;
    if (node?.range && (n === path.length || isMap(node) || isSeq(node))) return node.range[0];
  }
  return undefined;
}

/** The offset of the key at the end of `path` (the key itself, not its value). */
function keyOffsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (isMap(parent)) {
    const key = String(path[path.length - 1]);
    for (const pair of parent.items) {
      const k = pair.key;
      if (isScalar(k) && String(k.value) === key) return k.range?.[0];
    }
  }
  return offsetOf(doc, path);
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  let raw: Plain = {};
  let doc: Document | undefined;
  const lineCounter = new LineCounter();
  const file = opts.file;

  if (file) {
    if (!existsSync(file)) {
      if (!opts.fileIsDefault) throw new ConfigError(`config file '${file}' does not exist`);
      warnings.push(`config file '${file}' not found, using built-in defaults and environment variables`);
    } else {
      const text = readFileSync(file, "utf8");
      doc = parseDocument(text, { lineCounter, prettyErrors: false });
      if (doc.errors.length > 0) {
        const problems = doc.errors.map((e) => {
          const { line, col } = lineCounter.linePos(e.pos[0]);
          return `${file}:${line}:${col}: ${e.message.split("\n")[0]}`;
        });
        throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`, problems);
      }
      const js = doc.toJS();
      if (js !== null && js !== undefined) {
        if (typeof js !== "object" || Array.isArray(js)) {
          const problem = `${file}:1:1: the configuration must be a map of keys, got ${Array.isArray(js) ? "a list" : `'${String(js)}'`}`;
          throw new ConfigError(problem, [problem]);
        }
        raw = js as Plain;
      }
    }
  }

  // Unknown keys are ignored (the file may be shared with other versions) but reported:
  // a misspelt key silently leaves the default in force. Notifier settings are checked
  // against the notifiers by the rules validation.
  const fileDoc = doc;
  if (fileDoc && file) {
    for (const u of unknownKeys(configSchema, raw)) {
      if (u.path[0] === "notifiers") continue;
      const where = nodeWhere(file, lineCounter, keyOffsetOf(fileDoc, u.path as (string | number)[]));
      const hint = u.suggestion ? `, did you mean '${u.suggestion}'?` : "";
      warnings.push(`${where ? `${where}: ` : ""}unknown key '${pathText(u.path)}'${hint}`);
    }
  }

  normaliseNotifiers(raw);

  /** Config paths (dotted) set from the environment, and the variable that set each. */
  const fromEnv = new Map<string, string>();
  for (const path of LEAF_PATHS) {
    const name = envName(path);
    const v = env[name];
    // An empty variable counts as unset (viper's default).
    if (v !== undefined && v !== "") {
      setPath(raw, path, v);
      fromEnv.set(path.join("."), name);
    }
  }
  for (const [name, v] of Object.entries(env)) {
    // NOTIFIERS_<NAME>_<SETTING>: notifier names have no underscore, settings may.
    const m = /^NOTIFIERS_([A-Z0-9]+)_(.+)$/.exec(name);
    if (m && v !== undefined && v !== "") {
      const path = ["notifiers", m[1]!.toLowerCase(), m[2]!.toLowerCase()];
      setPath(raw, path, v);
      fromEnv.set(path.join("."), name);
    }
  }

  const origin = (path: readonly (string | number)[]): string | undefined => {
    for (let n = path.length; n > 0; n--) {
      const name = fromEnv.get(path.slice(0, n).join("."));
      if (name) return `env ${name}`;
    }
    if (!fileDoc || !file) return undefined;
    // Notifier names and settings were lower-cased; find them as written.
    const written = fileDoc.getIn(path, true) === undefined ? writtenPath(fileDoc, path) : path;
    return nodeWhere(file, lineCounter, offsetOf(fileDoc, written));
  };

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const found = zodProblems(parsed.error, raw).map((p) => {
      const key = pathText(p.path);
      const where = origin(p.path as (string | number)[]);
      // An environment variable is named instead of the key (it is what must be fixed).
      if (where?.startsWith("env ")) return { rank: [1, 0, 0], text: `${where}: ${p.reason}` };
      const pos = where ? /:(\d+):(\d+)$/.exec(where) : null;
      const rank = pos ? [0, Number(pos[1]), Number(pos[2])] : [2, 0, 0];
      return { rank, text: `${where ? `${where}: ` : ""}${key}: ${p.reason}` };
    });
    // File problems in file order, then environment variables, then the rest.
    const problems = found
      .map((f, i) => ({ ...f, i }))
      .sort(
        (a, b) => a.rank[0]! - b.rank[0]! || a.rank[1]! - b.rank[1]! || a.rank[2]! - b.rank[2]! || a.i - b.i,
      )
      .map((f) => f.text);
    throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`, problems);
  }
  return { config: parsed.data, warnings, origin };
}

/** A path whose map keys may differ in case from the file (notifier names and settings). */
function writtenPath(doc: Document, path: readonly (string | number)[]): (string | number)[] {
  const out: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (const seg of path) {
    let next: string | number = seg;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key) && String(pair.key.value).toLowerCase() === String(seg).toLowerCase()) {
          next = String(pair.key.value);
          break;
        }
      }
    }
    out.push(next);
    node = (node as { get?: (k: unknown, keep: boolean) => unknown } | undefined)?.get?.(next, true);
  }
  return out;
}
