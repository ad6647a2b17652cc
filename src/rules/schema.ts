/**
 * zod schemas for the raw items of a rules file and the parsers of the `match`
 * mini-languages (priority, tags, output fields). Messages keep Talon's wording.
 *
 * Where a field is read by a transform, its `.meta()` gives the JSON Schema of what the
 * transform accepts: `falco-talon rules schema` is generated from these schemas
 * (src/rules/json-schema.ts), so the editor schema and the loader cannot disagree.
 */
import { z } from "zod";
import { anyCasePattern } from "../validation/json-pattern.js";
import { describeValue } from "../validation/zod-errors.js";
import { BooleanWords } from "../yaml/boolean.js";
import type { OutputFieldCondition, PriorityOp } from "./types.js";

/**
 * Booleans in rules files: true/false and yes/no, in any letter case, quoted or not.
 * Narrower than YAML 1.1 (src/yaml/boolean.ts): on/off and y/n stay refused here.
 */
export const RULES_BOOLEANS = new BooleanWords(["true", "yes"], ["false", "no"], true);

/** Reads a YAML boolean ({@link RULES_BOOLEANS}); null or "" = unset. */
export function parseYamlBoolean(v: unknown): boolean | undefined | "invalid" {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return RULES_BOOLEANS.read(v) ?? "invalid";
  return "invalid";
}

/**
 * JSON Schema of a boolean setting: a boolean, null or "" (both unset), or one of the words;
 * `also`: patterns of more accepted texts.
 */
function booleanJson(...also: string[]) {
  const words = [RULES_BOOLEANS.alternatives(), ...also].join("|");
  return { type: ["boolean", "null", "string"], pattern: `^$|^\\s*(?:${words})\\s*$` };
}

/** A YAML boolean setting; the message is Talon's. */
export function yamlBoolean(key: string) {
  return z
    .unknown()
    .transform((v, ctx): boolean | undefined => {
      const b = parseYamlBoolean(v);
      if (b !== "invalid") return b;
      ctx.addIssue({
        code: "custom",
        message: `'${key}' setting can be 'true' or 'false' only, got ${describeValue(v)}`,
      });
      return z.NEVER;
    })
    .optional()
    .meta(booleanJson());
}

/** `dry_run`: a YAML boolean, or `server` for a Kubernetes server-side dry run. */
export const dryRunSetting = z
  .unknown()
  .transform((v, ctx): boolean | "server" | undefined => {
    if (typeof v === "string" && v.trim().toLowerCase() === "server") return "server";
    const b = parseYamlBoolean(v);
    if (b !== "invalid") return b;
    ctx.addIssue({
      code: "custom",
      message: `'dry_run' setting can be 'true', 'false' or 'server' only, got ${describeValue(v)}`,
    });
    return z.NEVER;
  })
  .optional()
  .meta({
    ...booleanJson(anyCasePattern("server")),
    description: "true: log only; server: Kubernetes server-side dry run",
  });

/** `cooldown_seconds`: a number of seconds, 0 or more (YAML number or numeric string). */
const cooldownSetting = z
  .unknown()
  .transform((v, ctx): number | undefined => {
    if (v === undefined || v === null || v === "") return undefined;
    const n = typeof v === "number" ? v : typeof v === "string" ? Number(v.trim()) : Number.NaN;
    if (Number.isFinite(n) && n >= 0) return n;
    ctx.addIssue({
      code: "custom",
      message: `'cooldown_seconds' setting must be a number of seconds, 0 or more, got ${describeValue(v)}`,
    });
    return z.NEVER;
  })
  .optional()
  .meta({
    type: ["number", "null", "string"],
    minimum: 0,
    // Decimal text; `Number()` also reads hex and the like, which nobody writes here.
    pattern: "^$|^\\s*(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?\\s*$",
    description: "seconds during which the rule does not act again on the same target",
  });

/** A scalar read as text (YAML `123` or `true` for a string field is accepted, as in Talon). */
const textValue = z
  .unknown()
  .transform((v, ctx): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    ctx.addIssue({ code: "custom", message: `expected a string, got ${describeValue(v)}` });
    return z.NEVER;
  })
  .meta({ type: ["string", "number", "boolean", "null"] });
/** Optional object key (zod 4 makes a transformed key required unless marked optional). */
const text = textValue.optional();

/** A list (null = unset), items validated by `item`. */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item, {
      error: (iss) =>
        iss.input === undefined ? undefined : `expected a list, got ${describeValue(iss.input)}`,
    })
    .nullish()
    .transform((v) => v ?? undefined);
}

/** A map of parameters (null = unset). */
const parameterMap = z
  .record(z.string(), z.unknown(), { error: (iss) => `expected a map, got ${describeValue(iss.input)}` })
  .nullish()
  .transform((v) => v ?? undefined);

// ---------------------------------------------------------------------------
// Priority

/** Falco priorities, by number (Debug=1 … Emergency=8); anything else is 0. */
export const PRIORITY_NUMBERS: Readonly<Record<string, number>> = {
  debug: 1,
  informational: 2,
  notice: 3,
  warning: 4,
  error: 5,
  critical: 6,
  alert: 7,
  emergency: 8,
};

/** The priority number of an event's priority text (case-insensitive); unknown = 0. */
export function priorityNumber(priority: string): number {
  return PRIORITY_NUMBERS[priority.toLowerCase()] ?? 0;
}

const PRIORITY_WORDS = Object.keys(PRIORITY_NUMBERS);
const PRIORITY_RE = new RegExp(`^(<|>)?(=)?(${PRIORITY_WORDS.join("|")}|)$`, "i");
/** {@link PRIORITY_RE} for JSON Schema: no flags, so each word in any case; spaces around. */
const PRIORITY_PATTERN = `^\\s*(?:<|>)?=?(?:${PRIORITY_WORDS.map(anyCasePattern).join("|")}|)\\s*$`;

export type ParsedPriority = { op: PriorityOp; level: number; text: string };

/**
 * Parses `match.priority` (`>=Warning`, `<Error`, `=Notice`, `Critical`, any case).
 * Returns undefined for "no filter" (empty text, or a bare comparator which Talon accepts
 * and ignores), "invalid" when Talon's regex rejects it.
 */
export function parsePriority(textValue: string): ParsedPriority | undefined | "invalid" {
  const m = PRIORITY_RE.exec(textValue.trim());
  if (!m) return "invalid";
  const level = m[3] ? PRIORITY_NUMBERS[m[3].toLowerCase()]! : 0;
  if (level === 0) return undefined;
  const op = ((m[1] ?? "") + (m[2] ?? "") || "=") as PriorityOp;
  return { op, level, text: textValue.trim() };
}

// ---------------------------------------------------------------------------
// Tags

/**
 * Tag syntax: Talon's `^[a-z_0-9.]*[a-z0-9]$` (any case) plus `-`, because Falco's own
 * rules carry tags such as `NIST_800-53_AC-2` which Talon could never match.
 */
const TAG_RE = /^[A-Za-z0-9_.-]*[A-Za-z0-9]$/;

/** One `match.tags` entry: a comma-separated AND group, spaces removed. */
export function parseTagGroup(entry: string): { tags: string[]; errors: string[] } {
  const tags = entry.replaceAll(" ", "").split(",");
  const errors = tags.filter((t) => !TAG_RE.test(t)).map((t) => `incorrect tag '${t}'`);
  return { tags, errors };
}

// ---------------------------------------------------------------------------
// Output fields

/**
 * Key syntax. Talon's regex `^[a-z0-9.\[\]]*` rejected `_`, `-` and `/`;
 * here a key is made of letters, digits, `_ . - /` and bracketed arguments, so
 * `proc.is_exe_writable` and `k8s.pod.label[app.kubernetes.io/name]` are accepted.
 */
const FIELD_KEY_RE = /^(?:[A-Za-z0-9_./-]|\[[^\][]*\])+$/;

/**
 * One `match.output_fields` entry: a comma-separated AND group of `key=value` or
 * `key!=value`. As in Talon: `", "` becomes `","`, values lose their double quotes and
 * cannot contain `,` `=` `!`. Unlike Talon, a piece that does not parse is an error
 * instead of being silently dropped (which widened the match).
 */
export function parseOutputFieldGroup(entry: string): {
  conditions: OutputFieldCondition[];
  errors: string[];
} {
  const conditions: OutputFieldCondition[] = [];
  const errors: string[] = [];
  for (const piece of entry.replaceAll(", ", ",").split(",")) {
    const m = /^([^=!]*)(!=|=)(.*)$/.exec(piece);
    if (!m || !FIELD_KEY_RE.test(m[1]!)) {
      errors.push(`incorrect output field key '${piece}'`);
      continue;
    }
    const value = m[3]!.replaceAll('"', "");
    if (/[=!]/.test(value)) {
      errors.push(`incorrect output field value '${piece}'`);
      continue;
    }
    conditions.push({ key: m[1]!, op: m[2] as "=" | "!=", value });
  }
  return { conditions, errors };
}

// ---------------------------------------------------------------------------
// Items

const priorityField = textValue
  .transform((v, ctx): ParsedPriority | undefined => {
    if (v === undefined) return undefined;
    const p = parsePriority(v);
    if (p !== "invalid") return p;
    ctx.addIssue({ code: "custom", message: `incorrect priority '${v}'` });
    return z.NEVER;
  })
  .optional()
  .meta({ type: ["string", "null"], pattern: PRIORITY_PATTERN, description: "e.g. >=Warning" });

/** JSON Schema of a `match` list entry: any scalar but null, read as text. */
const entryJson = { type: ["string", "number", "boolean"] };

const tagEntry = textValue
  .transform((v, ctx): string[] => {
    const { tags, errors } = parseTagGroup(v ?? "");
    for (const message of errors) ctx.addIssue({ code: "custom", message });
    return tags;
  })
  .meta(entryJson);

const outputFieldEntry = textValue
  .transform((v, ctx): OutputFieldCondition[] => {
    const { conditions, errors } = parseOutputFieldGroup(v ?? "");
    for (const message of errors) ctx.addIssue({ code: "custom", message });
    return conditions;
  })
  .meta(entryJson);

/**
 * `category:name`. Talon's regex `[a-z]+:[a-z]+` was unanchored; anchoring it (and
 * allowing digits) rejects `Kubernetes:terminate ` typos early. Unknown names are caught
 * by validation anyway. Outputs are named the same way.
 */
export const ACTIONNER_RE = /^[a-z0-9]+:[a-z0-9]+$/;

/** Anything that is not a map where a map is expected. */
const mapError = { error: (iss: { input?: unknown }) => `expected a map, got ${describeValue(iss.input)}` };

/** An action's `output`. */
export const rawOutputSchema = z.object(
  {
    target: text.describe("output `category:name`, e.g. local:file"),
    parameters: parameterMap.describe("output-specific parameters"),
  },
  mapError,
);

/** An action definition (`- action: …`), also the shape of a rule's action entry. */
export const rawActionSchema = z.object(
  {
    action: text.describe("name used by rules to reference it"),
    description: text,
    actionner: text.describe("`category:name`, e.g. kubernetes:terminate"),
    continue: yamlBoolean("continue").describe("run the rule's next actions after this one"),
    ignore_errors: yamlBoolean("ignore_errors").describe("continue even when this action fails"),
    parameters: parameterMap.describe("actionner-specific parameters"),
    output: rawOutputSchema
      .nullish()
      .transform((v) => v ?? undefined)
      .describe("where the actionner's artifact goes"),
    additional_contexts: list(text).describe("e.g. k8snode, aws"),
  },
  mapError,
);

export const rawMatchSchema = z.object(
  {
    rules: list(text).describe("Falco rule names (OR)"),
    priority: priorityField,
    source: text.describe("e.g. syscall, k8s_audit"),
    tags: list(tagEntry).describe("each entry a comma-separated AND group; OR between entries"),
    output_fields: list(outputFieldEntry).describe(
      "each entry a comma-separated AND group of key=value or key!=value; OR between entries",
    ),
  },
  mapError,
);

/** A rule (`- rule: …`). */
export const rawRuleSchema = z.object(
  {
    rule: text,
    description: text,
    continue: yamlBoolean("continue").describe("false: no later matched rule runs"),
    dry_run: dryRunSetting,
    cooldown_seconds: cooldownSetting,
    notifiers: list(text),
    match: rawMatchSchema.nullish().transform((v) => v ?? undefined),
    actions: list(rawActionSchema),
  },
  mapError,
);

export type RawAction = z.output<typeof rawActionSchema>;
export type RawRule = z.output<typeof rawRuleSchema>;
export type RawMatch = z.output<typeof rawMatchSchema>;
