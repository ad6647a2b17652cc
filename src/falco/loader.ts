// Rules-file loader (spec §1): reads items into one namespace (lists, macros, rules with
// append/override/enabled/exceptions), then compiles lists → macros → rules.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import type { Expr } from "./ast.js";
import { compileFilter, FalcoCompileError, type Predicate } from "./compiler.js";
import { evttypeCount } from "./evttypes.js";
import { fieldTableFor, K8S_AUDIT_SOURCE, SYSCALL_SOURCE } from "./fields/index.js";
import { type CompiledOutput, compileOutput } from "./output.js";
import { FalcoSyntaxError, parseCondition } from "./parser.js";
import { conditionWarnings } from "./warnings.js";
import { Item, LoadError, type Loc, scalarString } from "./yamlitem.js";

export interface FalcoProblem {
  severity: "error" | "warning";
  code: string;
  message: string;
  file: string;
  line: number;
  col: number;
}

export const PRIORITIES = [
  "Emergency",
  "Alert",
  "Critical",
  "Error",
  "Warning",
  "Notice",
  "Informational",
  "Debug",
] as const;
export type Priority = (typeof PRIORITIES)[number];

export function parsePriority(s: string): Priority | undefined {
  const l = s.toLowerCase();
  if (l === "info") return "Informational";
  return PRIORITIES.find((p) => p.toLowerCase() === l);
}

export const ENGINE_VERSION = "0.57.0";
/** Plugins whose fields this engine provides natively (k8s_audit serves every k8saudit variant). */
export const DEFAULT_PLUGINS: Record<string, string> = {
  k8saudit: "0.18.0",
  "k8saudit-aks": "0.6.0",
  "k8saudit-eks": "0.12.0",
  "k8saudit-gke": "0.9.0",
  "k8saudit-ovh": "0.6.0",
  json: "0.7.3",
  container: "0.4.0",
};

export interface LoadOptions {
  engineVersion?: string;
  plugins?: Record<string, string>;
  /** registered event sources (default syscall and k8s_audit) */
  sources?: string[];
}

export interface LoadedRule {
  name: string;
  desc: string;
  source: string;
  priority: Priority;
  tags: string[];
  enabled: boolean;
  /** final condition text (exceptions added, lists substituted) */
  condition: string;
  evaluate: Predicate;
  output: CompiledOutput;
  ordinal: number;
}

export interface RulesFile {
  path: string;
  content: string;
}

interface Origin {
  file: string;
  loc: Loc;
}

interface ListInfo {
  name: string;
  items: string[];
  ordinal: number;
  lastOrdinal: number;
  used: boolean;
  origin: Origin;
}

interface MacroInfo {
  name: string;
  condition: string;
  ordinal: number;
  lastOrdinal: number;
  used: boolean;
  origin: Origin;
  ast?: Expr;
}

type ValueItem = string | string[];

interface ExceptionInfo {
  name: string;
  fields: string | string[] | undefined;
  comps: string | string[] | undefined;
  /** list fields: tuples; single field: scalars */
  values: ValueItem[][] | string[];
  origin: Origin;
}

interface RuleInfo {
  name: string;
  ordinal: number;
  origin: Origin;
  condOrigin: Origin;
  /** where the condition text starts when it is a one-line plain/quoted scalar (for exact error columns) */
  condStart?: Loc;
  condition: string;
  output: string;
  desc: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: Set<string>;
  exceptions: ExceptionInfo[];
  capture: boolean;
  captureDuration: number;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
}

interface PluginRequirement {
  alternatives: { name: string; version: string }[];
  origin: Origin;
}

const LIST_KEYS = new Set(["list", "items", "append", "override"]);
const MACRO_KEYS = new Set(["macro", "condition", "append", "override"]);
const RULE_KEYS = new Set([
  "rule",
  "condition",
  "output",
  "desc",
  "priority",
  "source",
  "enabled",
  "capture",
  "capture_duration",
  "warn_evttypes",
  "skip-if-unknown-filter",
  "tags",
  "exceptions",
  "override",
  "append",
]);
const RULE_APPENDABLE = new Set(["condition", "output", "desc", "tags", "exceptions"]);
const RULE_REPLACEABLE = new Set([
  "condition",
  "output",
  "desc",
  "priority",
  "capture",
  "capture_duration",
  "tags",
  "exceptions",
  "enabled",
  "warn_evttypes",
  "skip-if-unknown-filter",
]);
const RULE_OVERRIDABLE = new Set([...RULE_APPENDABLE, ...RULE_REPLACEABLE]);
const COMPARISON_OPS = new Set([
  "=",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "contains",
  "icontains",
  "bcontains",
  "startswith",
  "bstartswith",
  "endswith",
  "glob",
  "iglob",
  "regex",
  "in",
  "intersects",
  "pmatch",
]);
const LIST_COMPS = new Set(["in", "intersects", "pmatch"]);

const LIST_NAME_RE = /^[^()"'\s=,]+$/;
const MACRO_NAME_RE = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;

function parseSemver(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Same major and version ≥ required. */
function semverCompatible(have: string, required: string): boolean {
  const h = parseSemver(have);
  const r = parseSemver(required);
  if (!h || !r || h[0] !== r[0]) return false;
  for (let i = 1; i < 3; i++) if (h[i]! !== r[i]!) return h[i]! > r[i]!;
  return true;
}

/** An item of a list / exception value: quoted when it contains a space (spec §1.5). */
export function quoteItem(v: string): string {
  if (v.includes(" ") && !v.startsWith('"') && !v.startsWith("'")) return `"${v}"`;
  return v;
}

const BLANKS = " \t\n\r";
const DELIMS = BLANKS + "(),=";

/** Textual list substitution of Falco's rule_loader_compiler (spec §1.6). Returns the new text and whether it matched. */
export function substituteList(cnd: string, name: string, items: string[]): [string, boolean] {
  let used = false;
  let start = cnd.indexOf(name);
  while (start !== -1) {
    let end = start + name.length;
    if (
      (start === 0 || DELIMS.includes(cnd[start - 1]!)) &&
      (end >= cnd.length || DELIMS.includes(cnd[end]!))
    ) {
      while (start > 0 && BLANKS.includes(cnd[start - 1]!)) start--;
      while (end < cnd.length && BLANKS.includes(cnd[end]!)) end++;
      const sub = items.join(", ");
      if (sub === "") {
        if (start > 0 && cnd[start - 1] === ",") start--;
        else if (end < cnd.length && cnd[end] === ",") end++;
      }
      let next = "";
      if (start > 0) next += cnd.slice(0, start) + " ";
      next += sub + " ";
      next += cnd.slice(end);
      cnd = next;
      start += sub.length + 1;
      used = true;
    }
    start = cnd.indexOf(name, start + 1);
  }
  return [cnd, used];
}

/** Builds the exception part of a rule condition exactly as Falco does (spec §1.5). */
export function buildExceptionCondition(ex: ExceptionInfo): string | undefined {
  if (ex.values.length === 0) return undefined;
  if (!Array.isArray(ex.fields)) {
    const comp = (typeof ex.comps === "string" ? ex.comps : "in").trim();
    const vals = (ex.values as ValueItem[]).map((v) =>
      Array.isArray(v) ? v.map(quoteItem).join(", ") : quoteItem(v),
    );
    return `(${ex.fields} ${comp} (${vals.join(", ")}))`;
  }
  const fields = ex.fields;
  const comps = Array.isArray(ex.comps) ? ex.comps.map((c) => c.trim()) : fields.map(() => "=");
  const tuples = (ex.values as ValueItem[][]).map((tuple) => {
    const terms = fields.map((f, k) => {
      const comp = comps[k]!;
      const v = tuple[k]!;
      let text: string;
      if (Array.isArray(v)) text = "(" + v.map(quoteItem).join(", ") + ")";
      else {
        text = quoteItem(v);
        const isListOp = LIST_COMPS.has(comp) || /\s(oneof|anyof|allof)$/.test(comp);
        if (isListOp && !text.startsWith("(")) text = `(${text})`;
      }
      return ` ${f} ${comp} ${text}`;
    });
    return "(" + terms.join(" and ") + ")";
  });
  return "(" + tuples.join(" or ") + ")";
}

export interface LoadResult {
  rules: LoadedRule[];
  problems: FalcoProblem[];
}

export function loadRules(files: RulesFile[], opts: LoadOptions = {}): LoadResult {
  const l = new Loader(opts);
  l.run(files);
  return { rules: l.compiled, problems: l.problems };
}

class Loader {
  readonly problems: FalcoProblem[] = [];
  readonly compiled: LoadedRule[] = [];
  private readonly lists = new Map<string, ListInfo>();
  private readonly macros = new Map<string, MacroInfo>();
  private readonly rules = new Map<string, RuleInfo>();
  private readonly pluginReqs: PluginRequirement[] = [];
  private ordinal = 0;
  private file = "";
  private readonly engineVersion: string;
  private readonly plugins: Record<string, string>;
  private readonly sources: Set<string>;

  constructor(opts: LoadOptions) {
    this.engineVersion = opts.engineVersion ?? ENGINE_VERSION;
    this.plugins = opts.plugins ?? DEFAULT_PLUGINS;
    this.sources = new Set(opts.sources ?? [SYSCALL_SOURCE, K8S_AUDIT_SOURCE]);
  }

  private hasErrors(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }

  private warn(code: string, message: string, origin: Origin): void {
    this.problems.push({ severity: "warning", code, message, file: origin.file, ...origin.loc });
  }

  private error(code: string, message: string, origin: Origin): void {
    this.problems.push({ severity: "error", code, message, file: origin.file, ...origin.loc });
  }

  run(files: RulesFile[]): void {
    for (const f of files) {
      this.readFile(f);
      if (this.hasErrors()) return;
    }
    this.checkPluginRequirements();
    if (this.hasErrors()) return;
    this.compileAll();
  }

  // ---- reading -------------------------------------------------------------

  private readFile(f: RulesFile): void {
    this.file = f.path;
    const lc = new LineCounter();
    const docs = parseAllDocuments(f.content, { lineCounter: lc, prettyErrors: false });
    const docList = Array.isArray(docs) ? docs : [docs];
    for (const doc of docList) {
      const err = doc.errors[0];
      if (err) {
        const p = lc.linePos(err.pos[0]);
        this.error("LOAD_ERR_YAML_PARSE", err.message, { file: f.path, loc: { line: p.line, col: p.col } });
        return;
      }
      const root = doc.contents as Node | null;
      if (root === null || (isScalar(root) && root.value === null)) continue;
      const at = (n: Node | null | undefined): Origin => {
        const p = lc.linePos(n?.range?.[0] ?? 0);
        return { file: f.path, loc: { line: p.line, col: p.col } };
      };
      if (isMap(root)) {
        this.error("LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml array of objects", at(root));
        return;
      }
      if (!isSeq(root)) {
        this.error("LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml", at(root));
        return;
      }
      for (const el of root.items as (Node | null)[]) {
        if (el === null || (isScalar(el) && el.value === null)) continue;
        if (!isMap(el)) {
          this.error(
            "LOAD_ERR_YAML_VALIDATE",
            "Unexpected element type. Each element should be a yaml associative array.",
            at(el),
          );
          return;
        }
        const item = new Item(el, lc);
        try {
          this.readItem(item);
        } catch (e) {
          if (e instanceof LoadError) {
            this.error(e.code, e.message, { file: f.path, loc: { line: e.line, col: e.col } });
            return;
          }
          throw e;
        }
      }
    }
  }

  private origin(item: Item, key?: string): Origin {
    return { file: this.file, loc: key ? item.keyLoc(key) : item.loc() };
  }

  private unknownKeys(item: Item, valid: Set<string>): void {
    for (const k of item.keys()) {
      if (!valid.has(k))
        this.warn("LOAD_UNKNOWN_KEY", `Unknown key '${k}'. The key will be ignored.`, this.origin(item, k));
    }
  }

  private readItem(item: Item): void {
    this.ordinal++;
    if (item.has("required_engine_version")) {
      this.readEngineVersion(item);
      return;
    }
    if (item.has("required_plugin_versions")) {
      this.readPluginVersions(item);
      return;
    }
    if (item.has("list")) {
      this.readList(item);
      return;
    }
    if (item.has("macro")) {
      this.readMacro(item);
      return;
    }
    if (item.has("rule")) {
      this.readRule(item);
      return;
    }
    this.warn("LOAD_UNKNOWN_ITEM", "Unknown top level item", this.origin(item));
  }

  private readEngineVersion(item: Item): void {
    const v = item.scalarText("required_engine_version", true)!;
    const req = /^\d+$/.test(v) ? `0.${v}.0` : v;
    if (!parseSemver(req)) {
      item.fail(
        "LOAD_ERR_YAML_VALIDATE",
        `Unable to parse engine version '${v}' as a semver string. Expected "x.y.z" semver format.`,
      );
    }
    if (!semverCompatible(this.engineVersion, req)) {
      item.fail(
        "LOAD_ERR_VALIDATE",
        `Rules require engine version ${req}, but engine version is ${this.engineVersion}`,
      );
    }
  }

  private readPluginVersions(item: Item): void {
    const seq = item.node("required_plugin_versions");
    if (!isSeq(seq))
      item.fail("LOAD_ERR_YAML_VALIDATE", "Value of required_plugin_versions must be a sequence");
    for (const el of seq.items as Node[]) {
      if (!isMap(el)) item.fail("LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", item.loc(el));
      const sub: Item = new Item(el, item.lc);
      const name = sub.scalarText("name", true)!;
      const version = sub.scalarText("version", true)!;
      if (!parseSemver(version)) {
        sub.fail("LOAD_ERR_YAML_VALIDATE", `Invalid required version '${version}' for plugin '${name}'`);
      }
      const alts = [{ name, version }];
      const altNode = sub.node("alternatives");
      if (altNode !== undefined) {
        if (!isSeq(altNode)) sub.fail("LOAD_ERR_YAML_VALIDATE", "Value of alternatives must be a sequence");
        for (const a of altNode.items as Node[]) {
          if (!isMap(a)) sub.fail("LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", sub.loc(a));
          const ai: Item = new Item(a, item.lc);
          const an = ai.scalarText("name", true)!;
          const av = ai.scalarText("version", true)!;
          if (!parseSemver(av))
            ai.fail("LOAD_ERR_YAML_VALIDATE", `Invalid required version '${av}' for plugin '${an}'`);
          if (alts.some((x) => x.name === an)) {
            ai.fail(
              "LOAD_ERR_YAML_VALIDATE",
              `Defined multiple alternative version requirements for plugin '${an}'`,
            );
          }
          alts.push({ name: an, version: av });
        }
      }
      this.pluginReqs.push({ alternatives: alts, origin: { file: this.file, loc: sub.loc() } });
    }
  }

  private checkPluginRequirements(): void {
    for (const req of this.pluginReqs) {
      const ok = req.alternatives.some((a) => {
        const have = this.plugins[a.name];
        return have !== undefined && semverCompatible(have, a.version);
      });
      if (ok) continue;
      const first = req.alternatives[0]!;
      const have = this.plugins[first.name];
      const msg =
        req.alternatives.length === 1 && have !== undefined
          ? `Plugin '${first.name}' version '${have}' is not compatible with required plugin version '${first.version}'`
          : `Plugin requirement not satisfied, must load one of: ${req.alternatives
              .map((a) => `${a.name} (>= ${a.version})`)
              .join(", ")}`;
      this.error("LOAD_ERR_VALIDATE", msg, req.origin);
      return;
    }
  }

  /** Parses `override:` into key → op with Falco's validation. */
  private readOverride(
    item: Item,
    appendable: Set<string>,
    replaceable: Set<string>,
    overridable: Set<string>,
  ): Map<string, "append" | "replace"> | undefined {
    const node = item.node("override");
    if (!item.has("override")) {
      return undefined;
    }
    if (!isMap(node))
      item.fail("LOAD_ERR_YAML_VALIDATE", "Value of override must be a map", item.keyLoc("override"));
    const ov = new Map<string, "append" | "replace">();
    const sub: Item = new Item(node, item.lc);
    for (const k of sub.keys()) {
      const op = sub.scalarText(k, true)!;
      if (op !== "append" && op !== "replace") {
        sub.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `Invalid override operation for key '${k}': '${op}'. Allowed values are: append replace `,
          sub.keyLoc(k),
        );
      }
      if (op === "append" && !appendable.has(k)) {
        sub.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `Key '${k}' cannot be appended to, use 'replace' instead`,
          sub.keyLoc(k),
        );
      }
      if (op === "replace" && !replaceable.has(k)) {
        sub.fail("LOAD_ERR_YAML_VALIDATE", `Key '${k}' cannot be replaced`, sub.keyLoc(k));
      }
      if (!item.has(k)) {
        sub.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `An ${op} override for '${k}' was specified but '${k}' is not defined`,
          sub.keyLoc(k),
        );
      }
      ov.set(k, op as "append" | "replace");
    }
    for (const k of item.keys()) {
      if (overridable.has(k) && !ov.has(k)) {
        item.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `Unexpected key '${k}': no corresponding entry under 'override' is defined.`,
          item.keyLoc(k),
        );
      }
    }
    return ov;
  }

  private checkAppendOverride(item: Item): boolean {
    const append = item.bool("append") ?? false;
    if (append && item.has("override")) {
      item.fail(
        "LOAD_ERR_YAML_VALIDATE",
        "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
      );
    }
    if (append) {
      this.warn(
        "LOAD_DEPRECATED_ITEM",
        "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
        this.origin(item, "append"),
      );
    }
    return append;
  }

  private readList(item: Item): void {
    this.unknownKeys(item, LIST_KEYS);
    const name = item.scalarText("list", true)!;
    if (!LIST_NAME_RE.test(name)) {
      this.warn(
        "LOAD_INVALID_LIST_NAME",
        "List has an invalid name. List names should match a regular expression: [^()\"'\\s=,]+",
        this.origin(item),
      );
    }
    const append = this.checkAppendOverride(item);
    const ov = this.readOverride(item, new Set(["items"]), new Set(["items"]), new Set(["items"]));
    const items = item.scalarSeq("items", true)!;
    const existing = this.lists.get(name);
    if (append || ov?.get("items") === "append") {
      if (!existing) {
        item.fail(
          "LOAD_ERR_VALIDATE",
          "List uses 'append' or 'override.items: append' but no list by that name already exists",
        );
      }
      existing.items.push(...items);
      existing.lastOrdinal = this.ordinal;
      return;
    }
    if (existing) {
      existing.items = items;
      existing.lastOrdinal = this.ordinal;
      return;
    }
    this.lists.set(name, {
      name,
      items,
      ordinal: this.ordinal,
      lastOrdinal: this.ordinal,
      used: false,
      origin: this.origin(item),
    });
  }

  private readMacro(item: Item): void {
    this.unknownKeys(item, MACRO_KEYS);
    const name = item.scalarText("macro", true)!;
    if (!MACRO_NAME_RE.test(name)) {
      this.warn(
        "LOAD_INVALID_MACRO_NAME",
        "Macro has an invalid name. Macro names should match a regular expression: [a-zA-Z]+[a-zA-Z0-9_]*",
        this.origin(item),
      );
    }
    const append = this.checkAppendOverride(item);
    const ov = this.readOverride(
      item,
      new Set(["condition"]),
      new Set(["condition"]),
      new Set(["condition"]),
    );
    const condition = item.scalarText("condition", true)!;
    const existing = this.macros.get(name);
    if (append || ov?.get("condition") === "append") {
      if (!existing) {
        item.fail(
          "LOAD_ERR_VALIDATE",
          "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
        );
      }
      existing.condition = existing.condition + " " + condition;
      existing.lastOrdinal = this.ordinal;
      return;
    }
    if (existing) {
      existing.condition = condition;
      existing.lastOrdinal = this.ordinal;
      existing.origin = this.origin(item, "condition");
      return;
    }
    this.macros.set(name, {
      name,
      condition,
      ordinal: this.ordinal,
      lastOrdinal: this.ordinal,
      used: false,
      origin: this.origin(item, "condition"),
    });
  }

  private readPriority(item: Item): Priority {
    const p = item.scalarText("priority", true)!;
    const pr = parsePriority(p);
    if (!pr) item.fail("LOAD_ERR_YAML_VALIDATE", "Invalid priority", item.keyLoc("priority"));
    return pr;
  }

  private readRule(item: Item): void {
    this.unknownKeys(item, RULE_KEYS);
    const name = item.scalarText("rule", true)!;
    const append = this.checkAppendOverride(item);
    const ov = this.readOverride(item, RULE_APPENDABLE, RULE_REPLACEABLE, RULE_OVERRIDABLE);
    const existing = this.rules.get(name);
    const source = item.has("source") ? (item.scalarTextOrEmpty("source") ?? "") : "";
    const checkSource = (r: RuleInfo) => {
      if (source !== "" && source !== r.source) {
        item.fail(
          "LOAD_ERR_VALIDATE",
          "Rule has been re-defined with a different source",
          item.keyLoc("source"),
        );
      }
    };

    if (ov) {
      const appends = [...ov].filter(([, op]) => op === "append").map(([k]) => k);
      const replaces = [...ov].filter(([, op]) => op === "replace").map(([k]) => k);
      if (!existing) {
        if (appends.length) {
          item.fail(
            "LOAD_ERR_VALIDATE",
            `Rule uses 'append' or 'override.${appends[0]}: append' but no rule by that name already exists`,
          );
        }
        item.fail(
          "LOAD_ERR_VALIDATE",
          `An 'override.${replaces[0] ?? "condition"}: replace' to a rule was requested but no rule by that name already exists`,
        );
      }
      checkSource(existing);
      for (const k of appends) this.applyRuleAppend(item, existing, k);
      for (const k of replaces) this.applyRuleReplace(item, existing, k);
      return;
    }

    if (append) {
      if (!existing) {
        item.fail(
          "LOAD_ERR_VALIDATE",
          "Rule uses 'append' or 'override.condition: append' but no rule by that name already exists",
        );
      }
      if (!item.has("condition") && !item.has("exceptions")) {
        item.fail("LOAD_ERR_YAML_VALIDATE", "Appended rule must have exceptions or condition property");
      }
      checkSource(existing);
      if (item.has("condition")) this.applyRuleAppend(item, existing, "condition");
      if (item.has("exceptions")) this.applyRuleAppend(item, existing, "exceptions");
      return;
    }

    const isDefinition = ["condition", "output", "desc", "priority"].some((k) => item.has(k));
    if (!isDefinition) {
      const enabled = item.bool("enabled", true)!;
      if (!existing)
        item.fail("LOAD_ERR_VALIDATE", "Rule has 'enabled' key but no rule by that name already exists");
      existing.enabled = enabled;
      this.warn(
        "LOAD_DEPRECATED_ITEM",
        "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').",
        this.origin(item),
      );
      return;
    }

    const condition = item.scalarText("condition", true)!;
    const output = item.scalarText("output", true)!.trim();
    const desc = item.scalarText("desc", true)!;
    const priority = this.readPriority(item);
    const ruleSource = source || SYSCALL_SOURCE;
    if (existing && existing.source !== ruleSource) {
      item.fail(
        "LOAD_ERR_VALIDATE",
        "Rule has been re-defined with a different source",
        this.origin(item).loc,
      );
    }
    const info: RuleInfo = {
      name,
      ordinal: existing?.ordinal ?? this.ordinal,
      origin: this.origin(item),
      condOrigin: this.origin(item, "condition"),
      condStart: inlineStart(item, "condition"),
      condition,
      output,
      desc,
      priority,
      source: ruleSource,
      enabled: item.bool("enabled") ?? true,
      tags: new Set(item.scalarSeq("tags", false) ?? []),
      exceptions: [],
      capture: item.bool("capture") ?? false,
      captureDuration: item.uint("capture_duration") ?? 0,
      warnEvttypes: item.bool("warn_evttypes") ?? true,
      skipIfUnknownFilter: item.bool("skip-if-unknown-filter") ?? false,
    };
    if (item.has("exceptions")) info.exceptions = this.readExceptions(item, undefined);
    this.rules.set(name, info);
  }

  private applyRuleAppend(item: Item, r: RuleInfo, key: string): void {
    switch (key) {
      case "condition":
        r.condition = r.condition + " " + item.scalarText("condition", true)!;
        r.condStart = undefined;
        break;
      case "output":
        r.output = (r.output + " " + item.scalarText("output", true)!).trim();
        break;
      case "desc":
        r.desc = r.desc + " " + item.scalarText("desc", true)!;
        break;
      case "tags":
        for (const t of item.scalarSeq("tags", true)!) r.tags.add(t);
        break;
      case "exceptions":
        r.exceptions = this.readExceptions(item, r.exceptions);
        break;
    }
  }

  private applyRuleReplace(item: Item, r: RuleInfo, key: string): void {
    switch (key) {
      case "condition":
        r.condition = item.scalarText("condition", true)!;
        r.condOrigin = this.origin(item, "condition");
        r.condStart = inlineStart(item, "condition");
        break;
      case "output":
        r.output = item.scalarText("output", true)!.trim();
        break;
      case "desc":
        r.desc = item.scalarText("desc", true)!;
        break;
      case "priority":
        r.priority = this.readPriority(item);
        break;
      case "tags":
        r.tags = new Set(item.scalarSeq("tags", true)!);
        break;
      case "exceptions":
        r.exceptions = this.readExceptions(item, undefined);
        break;
      case "enabled":
        r.enabled = item.bool("enabled", true)!;
        break;
      case "capture":
        r.capture = item.bool("capture", true)!;
        break;
      case "capture_duration":
        r.captureDuration = item.uint("capture_duration")!;
        break;
      case "warn_evttypes":
        r.warnEvttypes = item.bool("warn_evttypes", true)!;
        break;
      case "skip-if-unknown-filter":
        r.skipIfUnknownFilter = item.bool("skip-if-unknown-filter", true)!;
        break;
    }
  }

  /** Reads `exceptions:`; with `base` set, appends to those exceptions (values of same-named ones). */
  private readExceptions(item: Item, base: ExceptionInfo[] | undefined): ExceptionInfo[] {
    const node = item.node("exceptions");
    if (node === undefined || (isScalar(node) && node.value === null)) return base ?? [];
    if (!isSeq(node))
      item.fail("LOAD_ERR_YAML_VALIDATE", "Rule exceptions must be a sequence", item.keyLoc("exceptions"));
    const lc = item.lc;
    const out = base ? base.map((e) => ({ ...e, values: [...e.values] as ExceptionInfo["values"] })) : [];
    const seen = new Set<string>();
    for (const el of node.items as Node[]) {
      if (!isMap(el)) item.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must be a mapping", item.loc(el));
      const ex: Item = new Item(el, lc);
      const exName = ex.scalarText("name", true)!;
      const origin = { file: this.file, loc: ex.loc() };
      if (seen.has(exName)) {
        this.warn(
          "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
          `Multiple definitions of exception '${exName}' in the same rule`,
          origin,
        );
      }
      seen.add(exName);
      const fields = readStrOrList(ex, "fields");
      const comps = readStrOrList(ex, "comps");
      const existing = base ? out.find((e) => e.name === exName) : undefined;
      if (base && !ex.has("values")) {
        this.warn("LOAD_APPEND_NO_VALUES", "Overriding/appending exception with no values", origin);
      }
      if (existing) {
        if (fields !== undefined) {
          ex.fail(
            "LOAD_ERR_YAML_VALIDATE",
            "Can not append exception fields to existing exception, only values",
          );
        }
        if (comps !== undefined) {
          ex.fail(
            "LOAD_ERR_YAML_VALIDATE",
            "Can not append exception comps to existing exception, only values",
          );
        }
        const vals = readExceptionValues(ex, existing.fields);
        (existing.values as unknown[]).push(...vals);
        continue;
      }
      if (fields === undefined) {
        if (base)
          ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must have fields property with a list of fields");
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'fields'");
      }
      if (base && !ex.has("values")) {
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception must have values property with a list of values");
      }
      if (Array.isArray(fields)) {
        if (comps !== undefined && !Array.isArray(comps)) {
          ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and comps must both be strings");
        }
        if (comps !== undefined && comps.length !== fields.length) {
          ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and comps lists must have equal length");
        }
        for (const c of comps ?? []) {
          if (!COMPARISON_OPS.has(c.trim())) {
            ex.fail("LOAD_ERR_YAML_VALIDATE", `'${c.trim()}' is not a supported comparison operator`);
          }
        }
      } else {
        if (Array.isArray(comps)) ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and comps must both be strings");
        if (comps !== undefined && !LIST_COMPS.has(comps.trim())) {
          ex.fail(
            "LOAD_ERR_YAML_VALIDATE",
            `When fields is a single value, comps must be one of (in, pmatch, intersects), but it is ${comps}`,
          );
        }
      }
      const values = readExceptionValues(ex, fields);
      out.push({ name: exName, fields, comps, values, origin });
    }
    return out;
  }

  // ---- compiling -----------------------------------------------------------

  private compileAll(): void {
    // lists: nested list expansion
    const expanded = new Map<string, string[]>();
    const listsByOrdinal = [...this.lists.values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const li of listsByOrdinal) {
      const items: string[] = [];
      for (const it of li.items) {
        const ref = this.lists.get(it);
        if (ref && ref !== li && ref.ordinal < li.lastOrdinal && expanded.has(it)) {
          ref.used = true;
          items.push(...expanded.get(it)!);
        } else items.push(quoteItem(it));
      }
      expanded.set(li.name, items);
    }
    const substitute = (cond: string): string => {
      for (const li of listsByOrdinal) {
        if (!cond.includes(li.name)) continue;
        const [next, used] = substituteList(cond, li.name, expanded.get(li.name)!);
        if (used) {
          li.used = true;
          cond = next;
        }
      }
      return cond;
    };

    // macros: parse after list substitution
    const macrosByOrdinal = [...this.macros.values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const m of macrosByOrdinal) {
      try {
        m.ast = parseCondition(substitute(m.condition));
      } catch (e) {
        if (e instanceof FalcoSyntaxError) {
          this.error("LOAD_ERR_COMPILE_CONDITION", e.message, m.origin);
          return;
        }
        throw e;
      }
    }
    for (const m of macrosByOrdinal) {
      try {
        this.expandMacros(m.ast!, m.lastOrdinal, [m.name]);
      } catch (e) {
        if (e instanceof LoadError) {
          this.error(e.code, e.message, m.origin);
          return;
        }
        throw e;
      }
    }

    // rules
    const rulesByOrdinal = [...this.rules.values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const r of rulesByOrdinal) {
      this.compileRule(r, substitute);
      if (this.hasErrors()) return;
    }

    for (const li of listsByOrdinal) {
      if (!li.used) this.warn("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", li.origin);
    }
    for (const m of macrosByOrdinal) {
      if (!m.used) this.warn("LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro", m.origin);
    }
  }

  /** Replaces macro references by (expanded copies of) their ASTs. `visible`: macros first defined before this ordinal. */
  private expandMacros(e: Expr, visible: number, stack: string[]): Expr {
    switch (e.kind) {
      case "and":
      case "or":
        return { ...e, children: e.children.map((c) => this.expandMacros(c, visible, stack)) };
      case "not":
        return { ...e, child: this.expandMacros(e.child, visible, stack) };
      case "identifier": {
        const m = this.macros.get(e.name);
        if (!m || m.ordinal >= visible) {
          throw new LoadError("LOAD_ERR_VALIDATE", `Undefined macro '${e.name}' used in filter.`, 0, 0);
        }
        if (stack.includes(e.name)) {
          throw new LoadError("LOAD_ERR_VALIDATE", `reference loop in macro '${e.name}'`, 0, 0);
        }
        m.used = true;
        return this.expandMacros(m.ast!, m.lastOrdinal, [...stack, e.name]);
      }
      default:
        return e;
    }
  }

  private compileRule(r: RuleInfo, substitute: (c: string) => string): void {
    let cond = "(" + r.condition + ")";
    const table = fieldTableFor(r.source);
    const knownSource = this.sources.has(r.source);
    for (const ex of r.exceptions) {
      if (knownSource) {
        for (const f of Array.isArray(ex.fields) ? ex.fields : ex.fields ? [ex.fields] : []) {
          const inner = /^[a-z0-9]+\((.*)\)$/.exec(f.trim())?.[1] ?? f.trim();
          const name = inner.replace(/\[.*\]$/, "");
          if (!table.lookup(name)) {
            this.error("LOAD_ERR_VALIDATE", `'${f}' is not a supported filter field`, ex.origin);
            return;
          }
        }
      }
      const part = buildExceptionCondition(ex);
      if (part) cond += " and not " + part;
    }
    const finalCond = substitute(cond);
    let ast: Expr;
    try {
      ast = parseCondition(finalCond);
    } catch (e) {
      if (e instanceof FalcoSyntaxError) {
        this.error("LOAD_ERR_COMPILE_CONDITION", e.message, this.condPosition(r, e.pos.idx - 1, finalCond));
        return;
      }
      throw e;
    }
    try {
      ast = this.expandMacros(ast, Number.POSITIVE_INFINITY, []);
    } catch (e) {
      if (e instanceof LoadError) {
        this.error(e.code, e.message, r.condOrigin);
        return;
      }
      throw e;
    }
    if (!knownSource) {
      this.warn("LOAD_UNKNOWN_SOURCE", `Unknown source ${r.source}, skipping`, r.origin);
      return;
    }
    let evaluate: Predicate;
    let output: CompiledOutput;
    try {
      const compiled = compileFilter(ast, table);
      evaluate = compiled.evaluate;
      for (const w of compiled.warnings) this.warn("LOAD_COMPILE_CONDITION", w, r.condOrigin);
    } catch (e) {
      if (e instanceof FalcoCompileError) {
        if (r.skipIfUnknownFilter && e.message.startsWith("filter_check called with nonexistent field")) {
          this.warn("LOAD_UNKNOWN_FILTER", e.message, r.condOrigin);
          return;
        }
        this.error("LOAD_ERR_COMPILE_CONDITION", e.message, r.condOrigin);
        return;
      }
      throw e;
    }
    for (const w of conditionWarnings(ast)) this.warn(w.code, w.message, r.condOrigin);
    if (r.source === SYSCALL_SOURCE && r.warnEvttypes && evttypeCount(ast) > 100) {
      this.warn(
        "LOAD_NO_EVTTYPE",
        "Rule matches too many evt.type values. This has a significant performance penalty.",
        r.condOrigin,
      );
    }
    try {
      output = compileOutput(r.output, table);
    } catch (e) {
      if (e instanceof FalcoCompileError) {
        if (r.skipIfUnknownFilter) {
          this.warn("LOAD_UNKNOWN_FILTER", e.message, r.origin);
          return;
        }
        this.error("LOAD_ERR_COMPILE_OUTPUT", e.message, r.origin);
        return;
      }
      throw e;
    }
    if (/%evt\.dir\b/.test(r.output)) {
      this.warn(
        "LOAD_DEPRECATED_ITEM",
        "usage of deprecated field 'evt.dir' has been detected in the rule output",
        r.origin,
      );
    }
    this.compiled.push({
      name: r.name,
      desc: r.desc,
      source: r.source,
      priority: r.priority,
      tags: [...r.tags].sort(),
      enabled: r.enabled,
      condition: finalCond,
      evaluate,
      output,
      ordinal: r.ordinal,
    });
  }

  /** Position of an offset in the rule condition: exact only when the text was not rewritten. */
  private condPosition(r: RuleInfo, offset: number, finalCond: string): Origin {
    if (r.condStart && finalCond === "(" + r.condition + ")" && offset >= 0 && offset <= r.condition.length) {
      return { file: r.condOrigin.file, loc: { line: r.condStart.line, col: r.condStart.col + offset } };
    }
    return r.condOrigin;
  }
}

/** Start of the text of a one-line plain or quoted scalar value. */
function inlineStart(item: Item, key: string): Loc | undefined {
  const n = item.node(key);
  if (!n || !isScalar(n) || typeof n.value !== "string" || n.value.includes("\n")) return undefined;
  if (n.type !== "PLAIN" && n.type !== "QUOTE_DOUBLE" && n.type !== "QUOTE_SINGLE") return undefined;
  const l = item.loc(n);
  return { line: l.line, col: l.col + (n.type === "PLAIN" ? 0 : 1) };
}

function readStrOrList(ex: Item, key: string): string | string[] | undefined {
  const n = ex.node(key);
  if (!ex.has(key) || n === undefined) return undefined;
  if (isSeq(n)) return n.items.map((x) => scalarString(x as Node));
  if (isScalar(n)) return scalarString(n);
  ex.fail("LOAD_ERR_YAML_VALIDATE", `Value of ${key} must be a string or a sequence`);
}

function readExceptionValues(ex: Item, fields: string | string[] | undefined): ExceptionInfo["values"] {
  const n = ex.node("values");
  if (!ex.has("values") || n === undefined || (isScalar(n) && n.value === null)) return [];
  if (!isSeq(n)) ex.fail("LOAD_ERR_YAML_VALIDATE", "Rule exception values must be a sequence");
  if (!Array.isArray(fields)) {
    return n.items.map((v): string => {
      if (!isScalar(v))
        ex.fail("LOAD_ERR_YAML_VALIDATE", "Expected values array to contain a list of strings");
      return scalarString(v);
    });
  }
  return n.items.map((tuple) => {
    if (!isSeq(tuple)) ex.fail("LOAD_ERR_YAML_VALIDATE", "Expected values array to contain a list of lists");
    if (tuple.items.length !== fields.length) {
      ex.fail("LOAD_ERR_YAML_VALIDATE", "Fields and values lists must have equal length");
    }
    return tuple.items.map((v) =>
      isSeq(v) ? v.items.map((x) => scalarString(x as Node)) : scalarString(v as Node),
    );
  });
}
