// Reads rules files into one namespace of lists, macros and rules as Falco's rule reader and
// collector do: each item's YAML is decoded first (LOAD_ERR_YAML_VALIDATE), then it is defined,
// appended or overridden (LOAD_ERR_VALIDATE), with Falco's override (append/replace),
// deprecated `append: true` and standalone `enabled` semantics. Stops at the first error.
import { isMap, isScalar, isSeq, type Node } from "yaml";
import { compileFilter } from "./compiler.js";
import {
  type ExceptionInfo,
  type Origin,
  type Priority,
  type Problems,
  parsePriority,
  type RawException,
  type RuleInfo,
  type RuleItems,
  type RulesFile,
} from "./definitions.js";
import {
  appendExceptions,
  type FieldValidator,
  readExceptions,
  validateException,
} from "./exception-reader.js";
import { fieldTableFor, SYSCALL_SOURCE } from "./fields/index.js";
import { parseCondition } from "./parser.js";
import { type PluginRequirement, readEngineVersion, readPluginVersions } from "./requirements.js";
import { parseRulesYaml } from "./yaml-doc.js";
import { Item, LoadError, type Loc } from "./yamlitem.js";

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
// in the order Falco decodes them
const RULE_APPENDABLE = ["condition", "exceptions", "output", "desc", "tags"];
const RULE_REPLACEABLE = [
  "condition",
  "exceptions",
  "output",
  "desc",
  "tags",
  "priority",
  "capture",
  "capture_duration",
  "enabled",
  "warn_evttypes",
  "skip-if-unknown-filter",
];

const LIST_NAME_RE = /^[^()"'\s=,]+$/;
const MACRO_NAME_RE = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;

const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_APPEND =
  "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
// Falco's texts, `<key>` included
const ERROR_NO_PREVIOUS_RULE_APPEND =
  "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE =
  "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";

export interface ReaderOptions {
  engineVersion: string;
  /** registered event sources: exception fields are checked against theirs */
  sources: Set<string>;
}

/**
 * Reads rules files one at a time into one namespace (Falco collects every file into the same
 * definitions). Problems go to `problems`; a file stops at its first error.
 */
export class RulesReader {
  readonly items: RuleItems = { lists: new Map(), macros: new Map(), rules: new Map() };
  readonly pluginReqs: PluginRequirement[] = [];
  /** position of the current item among all items read, across files */
  private ordinal = 0;
  private file = "";
  private readonly validators = new Map<string, FieldValidator>();

  constructor(
    private readonly opts: ReaderOptions,
    private readonly problems: Problems,
  ) {}

  readFile(f: RulesFile): void {
    this.file = f.path;
    const { docs: docList, lc, error } = parseRulesYaml(f.content);
    if (error) {
      const p = lc.linePos(error.offset);
      this.problems.error("LOAD_ERR_YAML_PARSE", error.message, {
        file: f.path,
        loc: { line: p.line, col: p.col },
      });
      return;
    }
    for (const doc of docList) {
      const root = doc.contents as Node | null;
      if (root === null || (isScalar(root) && root.value === null)) continue;
      const at = (n: Node | null | undefined): Origin => {
        const p = lc.linePos(n?.range?.[0] ?? 0);
        return { file: f.path, loc: { line: p.line, col: p.col } };
      };
      if (isMap(root)) {
        this.problems.error("LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml array of objects", at(root));
        return;
      }
      if (!isSeq(root)) {
        this.problems.error("LOAD_ERR_YAML_VALIDATE", "Rules content is not yaml", at(root));
        return;
      }
      for (const el of root.items as (Node | null)[]) {
        if (el === null || (isScalar(el) && el.value === null)) continue;
        if (!isMap(el)) {
          this.problems.error(
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
            this.problems.error(e.code, e.message, { file: f.path, loc: { line: e.line, col: e.col } });
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

  /** After an item is read, as Falco does: a failing item gets no such warnings. */
  private unknownKeys(item: Item, valid: ReadonlySet<string>): void {
    for (const k of item.keys()) {
      if (!valid.has(k))
        this.problems.warn(
          "LOAD_UNKNOWN_KEY",
          `Unknown key '${k}'. The key will be ignored.`,
          this.origin(item),
        );
    }
  }

  private readItem(item: Item): void {
    this.ordinal++;
    if (item.has("required_engine_version")) {
      readEngineVersion(item, this.opts.engineVersion);
      this.unknownKeys(item, new Set(["required_engine_version"]));
    } else if (item.has("required_plugin_versions")) {
      readPluginVersions(item, this.file, this.pluginReqs);
      this.unknownKeys(item, new Set(["required_plugin_versions"]));
    } else if (item.has("list")) {
      this.readList(item);
      this.unknownKeys(item, LIST_KEYS);
    } else if (item.has("macro")) {
      this.readMacro(item);
      this.unknownKeys(item, MACRO_KEYS);
    } else if (item.has("rule")) {
      this.readRule(item);
      this.unknownKeys(item, RULE_KEYS);
    } else {
      this.problems.warn("LOAD_UNKNOWN_ITEM", "Unknown top level item", this.origin(item));
    }
  }

  /** `append: true`, with its deprecation warning. */
  private appendFlag(item: Item): boolean {
    const append = item.bool("append") ?? false;
    if (append) this.problems.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, this.origin(item));
    return append;
  }

  /** `override:` as key → operation, checked against the keys that may be appended or replaced. */
  private readOverride(
    item: Item,
    appendable: readonly string[],
    replaceable: readonly string[],
  ): Map<string, "append" | "replace"> {
    const ov = new Map<string, "append" | "replace">();
    if (!item.has("override")) return ov;
    const node = item.node("override");
    if (!isMap(node))
      item.fail("LOAD_ERR_YAML_VALIDATE", "Value of override must be a map", item.keyLoc("override"));
    const sub: Item = new Item(node, item.lc);
    for (const k of sub.keys()) {
      const op = sub.scalarText(k, true)!;
      if (op === "append") {
        if (!appendable.includes(k))
          sub.fail(
            "LOAD_ERR_YAML_VALIDATE",
            `Key '${k}' cannot be appended to, use 'replace' instead`,
            sub.keyLoc(k),
          );
      } else if (op === "replace") {
        if (!replaceable.includes(k))
          sub.fail("LOAD_ERR_YAML_VALIDATE", `Key '${k}' cannot be replaced`, sub.keyLoc(k));
      } else {
        const allowed =
          (appendable.includes(k) ? "append " : "") + (replaceable.includes(k) ? "replace " : "");
        sub.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `Invalid override operation for key '${k}': '${op}'. Allowed values are: ${allowed}`,
          sub.loc(sub.node(k)),
        );
      }
      ov.set(k, op);
    }
    return ov;
  }

  private readList(item: Item): void {
    const name = item.scalarText("list", true)!;
    if (!LIST_NAME_RE.test(name)) {
      this.problems.warn(
        "LOAD_INVALID_LIST_NAME",
        "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
        this.origin(item),
      );
    }
    const items = item.scalarSeq("items", true)!;
    let append = this.appendFlag(item);
    const ov = this.readOverride(item, ["items"], ["items"]);
    if (append && ov.size) item.fail("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND);
    append ||= ov.get("items") === "append";
    const existing = this.items.lists.get(name);
    if (append) {
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
      existing.origin = this.origin(item);
      return;
    }
    this.items.lists.set(name, {
      name,
      items,
      ordinal: this.ordinal,
      lastOrdinal: this.ordinal,
      used: false,
      origin: this.origin(item),
    });
  }

  private readMacro(item: Item): void {
    const name = item.scalarText("macro", true)!;
    if (!MACRO_NAME_RE.test(name)) {
      this.problems.warn(
        "LOAD_INVALID_MACRO_NAME",
        "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
        this.origin(item),
      );
    }
    const condition = item.scalarText("condition", true)!;
    let append = this.appendFlag(item);
    const ov = this.readOverride(item, ["condition"], ["condition"]);
    if (append && ov.size) item.fail("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND);
    append ||= ov.get("condition") === "append";
    const existing = this.items.macros.get(name);
    if (append) {
      if (!existing) {
        item.fail(
          "LOAD_ERR_VALIDATE",
          "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
        );
      }
      existing.condition = existing.condition + " " + condition;
      existing.lastOrdinal = this.ordinal;
      existing.condStart = undefined;
      return;
    }
    if (existing) {
      existing.condition = condition;
      existing.lastOrdinal = this.ordinal;
      existing.origin = this.origin(item, "condition");
      existing.itemOrigin = this.origin(item);
      existing.condStart = inlineStart(item, "condition");
      return;
    }
    this.items.macros.set(name, {
      name,
      condition,
      ordinal: this.ordinal,
      lastOrdinal: this.ordinal,
      used: false,
      origin: this.origin(item, "condition"),
      itemOrigin: this.origin(item),
      condStart: inlineStart(item, "condition"),
    });
  }

  private readPriority(item: Item): Priority {
    const p = item.scalarText("priority", true)!;
    const pr = parsePriority(p);
    if (!pr) item.fail("LOAD_ERR_YAML_VALIDATE", "Invalid priority", item.loc(item.node("priority")));
    return pr;
  }

  /** Whether `field` is a valid left-hand side for `source` (undefined: the source is unknown). */
  private fieldValidator(source: string): FieldValidator | undefined {
    if (!this.opts.sources.has(source)) return undefined;
    let v = this.validators.get(source);
    if (!v) {
      const table = fieldTableFor(source);
      v = (field: string) => {
        // a transformer expression is checked by compiling `<field> exists`
        if (field.includes("(")) {
          try {
            compileFilter(parseCondition(field + " exists"), table);
            return true;
          } catch {
            return false;
          }
        }
        return table.lookup(field.replace(/\[.*\]$/s, "")) !== undefined;
      };
      this.validators.set(source, v);
    }
    return v;
  }

  /** The rule an update names; an explicit different source is an error, as is a missing rule. */
  private previousRule(item: Item, name: string, source: string, missing: string): RuleInfo {
    const existing = this.items.rules.get(name);
    if (existing && source !== "" && existing.source !== source) {
      item.fail("LOAD_ERR_VALIDATE", "Rule has been re-defined with a different source");
    }
    if (!existing) item.fail("LOAD_ERR_VALIDATE", missing);
    return existing;
  }

  private readRule(item: Item): void {
    const name = item.scalarText("rule", true)!;
    const source = item.has("source") ? (item.scalarTextOrEmpty("source") ?? "") : "";
    const appendFlag = this.appendFlag(item);
    const ov = this.readOverride(item, RULE_APPENDABLE, RULE_REPLACEABLE);
    if (appendFlag && ov.size) item.fail("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND);
    if (ov.size) this.readOverrides(item, name, source, ov);
    else if (appendFlag) this.readAppend(item, name, source);
    else if (!["condition", "output", "desc", "priority"].some((k) => item.has(k)))
      this.readEnable(item, name);
    else this.readDefinition(item, name);
  }

  /** `override:` on a rule: the appends, then the replaces, then keys no override names. */
  private readOverrides(
    item: Item,
    name: string,
    source: string,
    ov: Map<string, "append" | "replace">,
  ): void {
    const expected = new Set([...RULE_APPENDABLE, ...RULE_REPLACEABLE].filter((k) => item.has(k)));
    const take = (op: "append" | "replace", key: string): boolean => {
      if (ov.get(key) !== op) return false;
      if (!expected.has(key))
        item.fail(
          "LOAD_ERR_YAML_VALIDATE",
          `An ${op} override for '${key}' was specified but '${key}' is not defined`,
        );
      expected.delete(key);
      return true;
    };
    for (const op of ["append", "replace"] as const) {
      if (![...ov.values()].includes(op)) continue;
      // an update only states its source along with a condition
      const updSource = ov.get("condition") === op ? source : "";
      const keys = op === "append" ? RULE_APPENDABLE : RULE_REPLACEABLE;
      const apply: ((r: RuleInfo) => void)[] = [];
      for (const key of keys) {
        if (!take(op, key)) continue;
        apply.push(op === "append" ? this.decodeAppend(item, key) : this.decodeReplace(item, key));
      }
      const prev = this.previousRule(
        item,
        name,
        updSource,
        op === "append" ? ERROR_NO_PREVIOUS_RULE_APPEND : ERROR_NO_PREVIOUS_RULE_REPLACE,
      );
      for (const f of apply) f(prev);
    }
    for (const key of expected) {
      item.fail(
        "LOAD_ERR_YAML_VALIDATE",
        `Unexpected key '${key}': no corresponding entry under 'override' is defined.`,
        item.loc(item.node(key)),
      );
    }
  }

  /** Decodes one appended key; the returned function applies it to the rule. */
  private decodeAppend(item: Item, key: string): (r: RuleInfo) => void {
    switch (key) {
      case "condition": {
        const c = item.scalarText("condition", true)!;
        return (r) => {
          r.condition = r.condition + " " + c;
          r.condStart = undefined;
        };
      }
      case "exceptions": {
        const raw = readExceptions(item, true, this.file, this.problems);
        return (r) => {
          r.exceptions = appendExceptions(r.exceptions, raw, this.fieldValidator(r.source));
        };
      }
      case "output": {
        const o = item.scalarText("output", true)!;
        return (r) => {
          r.output = (r.output + " " + o).trim();
        };
      }
      case "desc": {
        const d = item.scalarText("desc", true)!;
        return (r) => {
          r.desc = r.desc + " " + d;
        };
      }
      default: {
        const tags = item.scalarSeq("tags", true)!;
        return (r) => {
          for (const t of tags) r.tags.add(t);
        };
      }
    }
  }

  /** Decodes one replaced key; the returned function applies it to the rule. */
  private decodeReplace(item: Item, key: string): (r: RuleInfo) => void {
    switch (key) {
      case "condition": {
        const c = item.scalarText("condition", true)!;
        const origin = this.origin(item, "condition");
        const start = inlineStart(item, "condition");
        return (r) => {
          r.condition = c;
          r.condOrigin = origin;
          r.condStart = start;
        };
      }
      case "exceptions": {
        const raw = readExceptions(item, false, this.file, this.problems);
        return (r) => {
          const valid = this.fieldValidator(r.source);
          r.exceptions = raw.map((ex) =>
            validateException(
              ex,
              valid,
              "Rule exception item must have fields property with a list of fields",
            ),
          );
        };
      }
      case "output": {
        const o = item.scalarText("output", true)!.trim();
        return (r) => {
          r.output = o;
        };
      }
      case "desc": {
        const d = item.scalarText("desc", true)!;
        return (r) => {
          r.desc = d;
        };
      }
      case "tags": {
        const tags = item.scalarSeq("tags", true)!;
        return (r) => {
          r.tags = new Set(tags);
        };
      }
      case "priority": {
        const p = this.readPriority(item);
        return (r) => {
          r.priority = p;
        };
      }
      case "capture_duration": {
        const d = item.uint("capture_duration")!;
        return (r) => {
          r.captureDuration = d;
        };
      }
      default: {
        const b = item.bool(key, true)!;
        return (r) => {
          if (key === "enabled") r.enabled = b;
          else if (key === "capture") r.capture = b;
          else if (key === "warn_evttypes") r.warnEvttypes = b;
          else r.skipIfUnknownFilter = b;
        };
      }
    }
  }

  /** Deprecated `append: true`: only a condition and exceptions are appended. */
  private readAppend(item: Item, name: string, source: string): void {
    const apply: ((r: RuleInfo) => void)[] = [];
    if (item.has("condition")) apply.push(this.decodeAppend(item, "condition"));
    if (item.has("exceptions")) apply.push(this.decodeAppend(item, "exceptions"));
    const prev = this.previousRule(item, name, source, ERROR_NO_PREVIOUS_RULE_APPEND);
    if (!apply.length)
      item.fail("LOAD_ERR_VALIDATE", "Appended rule must have exceptions or condition property");
    for (const f of apply) f(prev);
  }

  /** Deprecated standalone `enabled:` for an existing rule. */
  private readEnable(item: Item, name: string): void {
    const enabled = item.bool("enabled", true)!;
    this.problems.warn("LOAD_DEPRECATED_ITEM", WARNING_ENABLED, this.origin(item));
    const existing = this.items.rules.get(name);
    if (!existing)
      item.fail("LOAD_ERR_VALIDATE", "Rule has 'enabled' key but no rule by that name already exists");
    existing.enabled = enabled;
  }

  /** A full rule definition (it replaces an earlier one of the same name in its slot). */
  private readDefinition(item: Item, name: string): void {
    const condition = item.scalarText("condition", true)!;
    const output = item.scalarText("output", true)!.trim();
    const desc = item.scalarText("desc", true)!;
    const priority = this.readPriority(item);
    const source = item.scalarText("source", false) ?? SYSCALL_SOURCE;
    const enabled = item.bool("enabled") ?? true;
    const capture = item.bool("capture") ?? false;
    const captureDuration = item.uint("capture_duration") ?? 0;
    const warnEvttypes = item.bool("warn_evttypes") ?? true;
    const skipIfUnknownFilter = item.bool("skip-if-unknown-filter") ?? false;
    const tags = new Set(item.scalarSeq("tags", false) ?? []);
    const raw: RawException[] = readExceptions(item, false, this.file, this.problems);
    const existing = this.items.rules.get(name);
    if (existing && existing.source !== source) {
      item.fail("LOAD_ERR_VALIDATE", "Rule has been re-defined with a different source");
    }
    if (!this.opts.sources.has(source))
      this.problems.warn("LOAD_UNKNOWN_SOURCE", `Unknown source ${source}, skipping`, this.origin(item));
    const valid = this.fieldValidator(source);
    const exceptions: ExceptionInfo[] = raw.map((ex) =>
      validateException(ex, valid, "Rule exception item must have fields property with a list of fields"),
    );
    this.items.rules.set(name, {
      name,
      ordinal: existing?.ordinal ?? this.ordinal,
      origin: this.origin(item),
      condOrigin: this.origin(item, "condition"),
      condStart: inlineStart(item, "condition"),
      condition,
      output,
      desc,
      priority,
      source,
      enabled,
      tags,
      exceptions,
      capture,
      captureDuration,
      warnEvttypes,
      skipIfUnknownFilter,
    });
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
