// Reads rules files into one namespace of lists, macros and rules, validating each YAML item
// and applying Falco's override (append/replace), deprecated `append: true` and standalone
// `enabled` semantics. Stops at the first error.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import {
  type Origin,
  type Priority,
  type Problems,
  parsePriority,
  type RuleInfo,
  type RuleItems,
  type RulesFile,
} from "./definitions.js";
import { readExceptions } from "./exception-reader.js";
import { SYSCALL_SOURCE } from "./fields/index.js";
import {
  checkPluginRequirements,
  type PluginRequirement,
  readEngineVersion,
  readPluginVersions,
} from "./requirements.js";
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

const LIST_NAME_RE = /^[^()"'\s=,]+$/;
const MACRO_NAME_RE = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;

/** Reads `files` in order; problems go to `problems`, the items read so far are returned. */
export function readRules(
  files: RulesFile[],
  opts: { engineVersion: string; plugins: Record<string, string> },
  problems: Problems,
): RuleItems {
  const reader = new RulesReader(opts.engineVersion, problems);
  for (const f of files) {
    reader.readFile(f);
    if (problems.hasErrors()) return reader.items;
  }
  checkPluginRequirements(reader.pluginReqs, opts.plugins, problems);
  return reader.items;
}

class RulesReader {
  readonly items: RuleItems = { lists: new Map(), macros: new Map(), rules: new Map() };
  readonly pluginReqs: PluginRequirement[] = [];
  /** position of the current item among all items read, across files */
  private ordinal = 0;
  private file = "";

  constructor(
    private readonly engineVersion: string,
    private readonly problems: Problems,
  ) {}

  readFile(f: RulesFile): void {
    this.file = f.path;
    const lc = new LineCounter();
    const docs = parseAllDocuments(f.content, { lineCounter: lc, prettyErrors: false });
    const docList = Array.isArray(docs) ? docs : [docs];
    for (const doc of docList) {
      const err = doc.errors[0];
      if (err) {
        const p = lc.linePos(err.pos[0]);
        this.problems.error("LOAD_ERR_YAML_PARSE", err.message, {
          file: f.path,
          loc: { line: p.line, col: p.col },
        });
        return;
      }
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

  private unknownKeys(item: Item, valid: Set<string>): void {
    for (const k of item.keys()) {
      if (!valid.has(k))
        this.problems.warn(
          "LOAD_UNKNOWN_KEY",
          `Unknown key '${k}'. The key will be ignored.`,
          this.origin(item, k),
        );
    }
  }

  private readItem(item: Item): void {
    this.ordinal++;
    if (item.has("required_engine_version")) {
      readEngineVersion(item, this.engineVersion);
      return;
    }
    if (item.has("required_plugin_versions")) {
      readPluginVersions(item, this.file, this.pluginReqs);
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
    this.problems.warn("LOAD_UNKNOWN_ITEM", "Unknown top level item", this.origin(item));
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
      this.problems.warn(
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
      this.problems.warn(
        "LOAD_INVALID_LIST_NAME",
        "List has an invalid name. List names should match a regular expression: [^()\"'\\s=,]+",
        this.origin(item),
      );
    }
    const append = this.checkAppendOverride(item);
    const ov = this.readOverride(item, new Set(["items"]), new Set(["items"]), new Set(["items"]));
    const items = item.scalarSeq("items", true)!;
    const existing = this.items.lists.get(name);
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
    this.unknownKeys(item, MACRO_KEYS);
    const name = item.scalarText("macro", true)!;
    if (!MACRO_NAME_RE.test(name)) {
      this.problems.warn(
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
    const existing = this.items.macros.get(name);
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
    this.items.macros.set(name, {
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
    const existing = this.items.rules.get(name);
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
      this.problems.warn(
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
    if (item.has("exceptions")) info.exceptions = readExceptions(item, undefined, this.file, this.problems);
    this.items.rules.set(name, info);
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
        r.exceptions = readExceptions(item, r.exceptions, this.file, this.problems);
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
        r.exceptions = readExceptions(item, undefined, this.file, this.problems);
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
}

/** Start of the text of a one-line plain or quoted scalar value. */
function inlineStart(item: Item, key: string): Loc | undefined {
  const n = item.node(key);
  if (!n || !isScalar(n) || typeof n.value !== "string" || n.value.includes("\n")) return undefined;
  if (n.type !== "PLAIN" && n.type !== "QUOTE_DOUBLE" && n.type !== "QUOTE_SINGLE") return undefined;
  const l = item.loc(n);
  return { line: l.line, col: l.col + (n.type === "PLAIN" ? 0 : 1) };
}
