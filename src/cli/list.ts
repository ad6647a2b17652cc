/**
 * `actionners list`, `outputs list`, `notifiers list` (talon.md §10): generated from
 * each plug-in's `info` and zod parameter schema, as YAML (Talon's layout) or JSON
 * (with each parameter's JSON schema).
 */
import { stringify } from "yaml";
import { z } from "zod";
import { actionnerName, actionners } from "../actionners/registry.js";
import { notifiers } from "../notifiers/registry.js";
import { outputName, outputs } from "../outputs/registry.js";

type JsonSchema = {
  properties?: Record<string, JsonSchema & { default?: unknown; description?: string }>;
  required?: string[];
  [k: string]: unknown;
};

export function parameterSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/** Talon's display: each parameter with its default, `(required)` suffixed when required. */
export function parameterDisplay(schema: z.ZodType): Record<string, unknown> {
  const js = parameterSchema(schema);
  const required = new Set(js.required ?? []);
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(js.properties ?? {})) {
    const name = required.has(key) && prop.default === undefined ? `${key} (required)` : key;
    out[name] = prop.default ?? defaultFor(prop);
  }
  return out;
}

function defaultFor(prop: JsonSchema): unknown {
  switch (prop.type) {
    case "array":
      return [];
    case "object":
      return {};
    case "boolean":
      return false;
    case "integer":
    case "number":
      return 0;
    default:
      return "";
  }
}

export type ListFormat = "yaml" | "json";

/**
 * Renders plug-in descriptions. `fields` gives the keys in Talon's order with `parameters`
 * holding the zod schema: YAML shows defaults, JSON adds `parameters_schema`.
 */
function render(
  format: ListFormat,
  items: { title: string; fields: Record<string, unknown> & { parameters: z.ZodType } }[],
): string {
  if (format === "json") {
    return JSON.stringify(
      items.map(({ title, fields }) => ({
        full_name: title,
        ...fields,
        parameters: parameterDisplay(fields.parameters),
        parameters_schema: parameterSchema(fields.parameters),
      })),
      null,
      2,
    );
  }
  return items
    .map(({ title, fields }) =>
      section(title, { ...fields, parameters: parameterDisplay(fields.parameters) }),
    )
    .join("");
}

export function listActionners(format: ListFormat): string {
  return render(
    format,
    actionners.map((a) => ({
      title: actionnerName(a),
      fields: {
        parameters: a.parameters,
        name: a.info.name,
        category: a.info.category,
        description: a.info.description,
        source: a.info.source,
        permissions: a.info.permissions,
        example: a.info.example,
        required_output_fields: a.info.requiredOutputFields,
        continue: a.info.continue,
        use_context: a.info.useContext,
        allow_output: a.info.allowOutput,
        require_output: a.info.requireOutput,
      },
    })),
  );
}

export function listOutputs(format: ListFormat): string {
  return render(
    format,
    outputs.map((o) => ({
      title: outputName(o),
      fields: {
        name: o.info.name,
        category: o.info.category,
        description: o.info.description,
        parameters: o.parameters,
        permissions: o.info.permissions,
        example: o.info.example,
      },
    })),
  );
}

export function listNotifiers(format: ListFormat): string {
  return render(
    format,
    notifiers.map((n) => ({
      title: n.info.name,
      fields: {
        name: n.info.name,
        description: n.info.description,
        parameters: n.parameters,
        permissions: n.info.permissions,
        example: n.info.example,
      },
    })),
  );
}

function section(title: string, body: Record<string, unknown>): string {
  return `--- ${title} ---\n${stringify(body, { lineWidth: 0 })}\n`;
}
