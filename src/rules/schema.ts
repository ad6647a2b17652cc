/**
 * zod schemas for the raw items of a rules file (talon.md §2.1) and the parsers of the
 * `match` mini-languages (priority, tags, output fields). Messages keep Talon's wording.
 */
import { z } from "zod";
import { describeValue } from "../validation/zod-errors.js";
import type { OutputFieldCondition, PriorityOp } from "./types.js";

const TRUE_WORDS = new Set(["true", "yes"]);
const FALSE_WORDS = new Set(["false", "no"]);

/** Reads a YAML boolean: true/false (any case, quoted or not), yes/no; null or "" = unset. */
export function parseYamlBoolean(v: unknown): boolean | undefined | "invalid" {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  return "invalid";
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
    .optional();
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
  .optional();

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
  .optional();

/** A scalar read as text (YAML `123` or `true` for a string field is accepted, as in Talon). */
const textValue = z.unknown().transform((v, ctx): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  ctx.addIssue({ code: "custom", message: `expected a string, got ${describeValue(v)}` });
  return z.NEVER;
});
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

const PRIORITY_RE = /^(<|>)?(=)?(debug|informational|notice|warning|error|critical|alert|emergency|)$/i;

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
 * Key syntax. Talon's regex `^[a-z0-9.\[\]]*` rejected `_`, `-` and `/` (BUG, §12.10);
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
  .optional();

const tagEntry = textValue.transform((v, ctx): string[] => {
  const { tags, errors } = parseTagGroup(v ?? "");
  for (const message of errors) ctx.addIssue({ code: "custom", message });
  return tags;
});

const outputFieldEntry = textValue.transform((v, ctx): OutputFieldCondition[] => {
  const { conditions, errors } = parseOutputFieldGroup(v ?? "");
  for (const message of errors) ctx.addIssue({ code: "custom", message });
  return conditions;
});

/** Anything that is not a map where a map is expected. */
const mapError = { error: (iss: { input?: unknown }) => `expected a map, got ${describeValue(iss.input)}` };

/** An action definition (`- action: …`), also the shape of a rule's action entry. */
export const rawActionSchema = z.object(
  {
    action: text,
    description: text,
    actionner: text,
    continue: yamlBoolean("continue"),
    ignore_errors: yamlBoolean("ignore_errors"),
    parameters: parameterMap,
    output: z
      .object({ target: text, parameters: parameterMap }, mapError)
      .nullish()
      .transform((v) => v ?? undefined),
    additional_contexts: list(text),
  },
  mapError,
);

export const rawMatchSchema = z.object(
  {
    rules: list(text),
    priority: priorityField,
    source: text,
    tags: list(tagEntry),
    output_fields: list(outputFieldEntry),
  },
  mapError,
);

/** A rule (`- rule: …`). */
export const rawRuleSchema = z.object(
  {
    rule: text,
    description: text,
    continue: yamlBoolean("continue"),
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
